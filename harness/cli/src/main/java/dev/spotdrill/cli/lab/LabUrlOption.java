package dev.spotdrill.cli.lab;

import picocli.CommandLine.Option;

/** The {@code --url} option of the commands that talk to a running lab. */
final class LabUrlOption {
    @Option(
            names = "--url",
            paramLabel = "<control URL>",
            description = "The lab's control URL, as spotdrill lab prints it. Default: $SPOTDRILL_LAB_URL, else the"
                    + " one in ./spotdrill-lab/env.")
    String url;

    LabClient client() {
        return LabClient.resolve(url, System::getenv);
    }
}
