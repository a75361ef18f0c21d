package dev.spotdrill.lab;

import java.util.Set;

/** What the lab knows of regions: where FIS does not offer the Spot interruption action. */
final class LabRegions {
    /**
     * The regions whose FIS lacks {@code aws:ec2:send-spot-instance-interruptions}, per the EC2 documentation: Jakarta,
     * Osaka, Beijing, Ningxia and the UAE. A lab scenario in one of them lists no such action.
     */
    static final Set<String> WITHOUT_SPOT_ACTION =
            Set.of("ap-southeast-3", "ap-northeast-3", "cn-north-1", "cn-northwest-1", "me-central-1");

    private LabRegions() {}

    static boolean offersSpotAction(String region) {
        return !WITHOUT_SPOT_ACTION.contains(region);
    }
}
