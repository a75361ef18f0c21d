package dev.spotdrill.core.aws;

import dev.spotdrill.core.drill.Expectations;
import dev.spotdrill.core.drill.Source;
import dev.spotdrill.core.drill.SourceContext;
import dev.spotdrill.core.drill.SourceRequest;
import java.util.List;

/** The EC2 state source ({@value Expectations#EC2}): the targets' instance state through DescribeInstances. */
public final class Ec2StateSource implements Source {

    @Override
    public String kind() {
        return Expectations.EC2;
    }

    @Override
    public AutoCloseable start(SourceContext ctx, List<SourceRequest> requests) {
        return Ec2StateProbe.start(ctx.world(), new SdkAwsBackend(ctx.world()), ctx.targets(), ctx.timeline());
    }
}
