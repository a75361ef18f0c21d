package dev.spotdrill.cli;

import picocli.CommandLine.IVersionProvider;

/** {@code --version} of every command: the version in the jar's manifest, else "development". */
public final class Versions implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Versions.class.getPackage().getImplementationVersion();
        return new String[] {"spotdrill " + (v == null ? "(development build)" : v)};
    }
}
