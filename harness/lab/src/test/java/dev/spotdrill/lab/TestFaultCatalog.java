package dev.spotdrill.lab;

import java.util.List;

/** A catalog found through the test's META-INF/services, as another lab component would add one. */
public class TestFaultCatalog implements FaultCatalog {
    @Override
    public List<FaultDefinition> faults() {
        return List.of(new FaultDefinition(
                "testComponent", "catalogued", FaultDefinition.ValueKind.NONE, "declared by a test catalog"));
    }
}
