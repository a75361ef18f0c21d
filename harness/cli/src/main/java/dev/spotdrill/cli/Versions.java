package dev.spotdrill.cli;

import picocli.CommandLine.IVersionProvider;

/** {@code spotdrill --version}: the version in the jar's manifest, else "development". */
final class Versions implements IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Versions.class.getPackage().getImplementationVersion();
        return new String[] {"spotdrill " + (v == null ? "(development build)" : v)};
    }
}
