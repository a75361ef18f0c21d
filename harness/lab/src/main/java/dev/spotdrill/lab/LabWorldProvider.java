package dev.spotdrill.lab;

import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldProvider;
import java.util.List;

/**
 * Opens the {@code lab} world: attaches to a running {@link SpotLab} in this JVM named by {@code spotdrill.lab.attach},
 * or to a lab in another process through its control URL ({@code spotdrill.lab.url}, printed by {@code spotdrill
 * lab}), or starts one from {@code spotdrill.lab.scenario}, {@code spotdrill.lab.pace} and
 * {@code spotdrill.lab.faults}.
 */
public final class LabWorldProvider implements WorldProvider {

    @Override
    public String name() {
        return World.LAB;
    }

    @Override
    public WorldHandle open(SpotDrillConfig config) {
        var attach = config.get(SpotDrillConfig.LAB_ATTACH);
        var url = config.get(SpotDrillConfig.LAB_URL);
        // a lab of this JVM named by id is the more specific choice: SPOTDRILL_LAB_URL from a sourced env file must
        // not take a test's own lab away from it
        if (url.isPresent() && attach.isEmpty()) {
            World remote = RemoteLab.attach(url.get());
            return new WorldHandle() {
                @Override
                public World world() {
                    return remote;
                }

                @Override
                public void close() {
                    // the lab belongs to its own process
                }

                @Override
                public String toString() {
                    return "LabWorldHandle[" + remote.facts().get("lab") + " at " + url.get() + ", remote]";
                }
            };
        }
        if (attach.isPresent()) {
            SpotLab lab = SpotLab.attached(attach.get())
                    .orElseThrow(() -> new SpotDrillConfigurationException(SpotDrillConfig.LAB_ATTACH + "=\""
                            + attach.get() + "\": no lab with this id runs in this JVM (running: "
                            + SpotLab.runningIds() + "); start the lab first and pass its id(), or remove "
                            + SpotDrillConfig.LAB_ATTACH + " to let spotdrill start one"));
            return new Handle(lab, false);
        }
        LabOptions.Builder b = LabOptions.builder();
        var scenario = config.get(SpotDrillConfig.LAB_SCENARIO);
        if (scenario.isPresent()) {
            try {
                b.scenario(Scenario.load(scenario.get()));
            } catch (SpotDrillConfigurationException e) {
                throw new SpotDrillConfigurationException(
                        SpotDrillConfig.LAB_SCENARIO + "=\"" + scenario.get() + "\": " + e.getMessage());
            }
        }
        if (config.get(SpotDrillConfig.LAB_PACE).isPresent()) {
            b.pace(config.positiveNumber(SpotDrillConfig.LAB_PACE, SpotLab.DEFAULT_PACE));
        }
        List<String> faults = config.list(SpotDrillConfig.LAB_FAULTS);
        LabFaults.of(faults); // check before anything starts
        b.faults(faults);
        return new Handle(SpotLab.start(b.build()), true);
    }

    private static final class Handle implements WorldHandle {
        private final SpotLab lab;
        private final boolean owned;

        Handle(SpotLab lab, boolean owned) {
            this.lab = lab;
            this.owned = owned;
        }

        @Override
        public World world() {
            return lab.world();
        }

        @Override
        public void close() {
            if (owned) {
                lab.close();
            }
        }

        @Override
        public String toString() {
            return "LabWorldHandle[" + lab.id() + (owned ? "" : ", attached") + "]";
        }
    }
}
