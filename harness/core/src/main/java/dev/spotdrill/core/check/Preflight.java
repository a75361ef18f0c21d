package dev.spotdrill.core.check;

import dev.spotdrill.core.World;
import dev.spotdrill.core.aws.SdkAwsBackend;
import dev.spotdrill.core.drill.DrillOptions;
import dev.spotdrill.core.internal.AwsBackend;
import dev.spotdrill.core.internal.FisRoleGuard;
import dev.spotdrill.core.internal.Messages;
import dev.spotdrill.core.internal.SpotActionCheck;
import dev.spotdrill.core.internal.TemplateRequest;
import java.util.List;
import java.util.Optional;

/**
 * The checks a drill makes before it creates anything, callable on their own (for {@code spotdrill doctor}): FIS
 * offers the Spot action in the region, and the FIS role would not fail mid-run. They read only; nothing is created.
 *
 * <pre>{@code
 * World world = World.aws(config);
 * DrillOptions options = DrillOptions.from(config, world);
 * for (Check c : List.of(Preflight.spotAction(world), Preflight.fisRole(world, options))) {
 *     System.out.println(c.line());
 * }
 * }</pre>
 */
public final class Preflight {
    private Preflight() {}

    /** Whether FIS offers {@code aws:ec2:send-spot-instance-interruptions} in the world's region (ListActions). */
    public static Check spotAction(World world) {
        return spotAction(world, new SdkAwsBackend(world));
    }

    static Check spotAction(World world, AwsBackend backend) {
        String name = "FIS action in " + world.region();
        try {
            if (SpotActionCheck.offered(backend, world)) {
                return Check.ok(name, "FIS offers " + TemplateRequest.ACTION_ID + " in " + world.region());
            }
        } catch (RuntimeException e) {
            return Check.failed(
                    name,
                    "ListActions failed: " + e.getMessage(),
                    "allow fis:ListActions to the runner, and check the region and the credentials");
        }
        String m = Messages.spotActionMissing(world.region());
        int fix = m.lastIndexOf("; ");
        return Check.failed(name, m.substring(0, fix), m.substring(fix + 2));
    }

    /**
     * Whether the FIS role would work: the role of {@code spotdrill.fis.roleArn}, or the one named
     * {@code spotdrill.fis.roleName} when it exists (when it does not, the first drill creates it, scoped to the opt-in
     * tag). It checks the trust policy and, with IAM's SimulatePrincipalPolicy, {@code ec2:SendSpotInstanceInterruptions}
     * on an instance carrying the opt-in tag.
     */
    public static Check fisRole(World world, DrillOptions options) {
        return fisRole(world, options, new SdkAwsBackend(world));
    }

    static Check fisRole(World world, DrillOptions options, AwsBackend backend) {
        String name = "FIS role";
        try {
            String account = backend.callerAccount();
            String roleName = options.roleArn()
                    .map(a -> a.substring(a.lastIndexOf('/') + 1))
                    .orElse(options.roleName());
            Optional<AwsBackend.Role> role = backend.role(roleName);
            if (role.isEmpty()
                    || (options.roleArn().isPresent()
                            && !role.get().arn().equals(options.roleArn().get()))) {
                if (options.roleArn().isPresent()) {
                    return Check.failed(
                            name,
                            options.roleArn().get() + " does not exist",
                            "check spotdrill.fis.roleArn, or drop it and let spotdrill provision its role");
                }
                return Check.ok(
                        name,
                        roleName + " does not exist yet: the first drill creates it (trusting fis.amazonaws.com,"
                                + " allowed ec2:SendSpotInstanceInterruptions only on instances tagged "
                                + options.optInKey() + "=" + options.optInValue()
                                + "); that needs iam:CreateRole, iam:PutRolePolicy and iam:TagRole");
            }
            FisRoleGuard.Verdict v = FisRoleGuard.check(
                    backend, world, role.get(), account, List.of(), options.optInKey(), options.optInValue());
            if (!v.checked()) {
                return Check.failed(name, role.get().arn() + ": " + String.join("; ", v.warnings()), v.fix());
            }
            if (!v.usable()) {
                return Check.failed(
                        name, role.get().arn() + " would fail: " + v.problem().orElseThrow(), v.fix());
            }
            return Check.ok(
                    name,
                    role.get().arn() + " trusts fis.amazonaws.com and may interrupt instances tagged "
                            + options.optInKey() + "=" + options.optInValue()
                            + (v.warnings().isEmpty() ? "" : "; but " + String.join("; ", v.warnings())));
        } catch (AwsBackend.AccessDeniedException e) {
            return Check.failed(
                    name,
                    "IAM refused to show the role: " + e.getMessage(),
                    "allow iam:GetRole and iam:SimulatePrincipalPolicy on the FIS role to the runner");
        }
    }
}
