package dev.spotdrill.core;

import java.util.Objects;

/**
 * The AWS partition a region belongs to: {@code aws}, {@code aws-us-gov} or {@code aws-cn}. ARNs, the global IAM
 * endpoint's signing region and the console's address all follow it, so nothing in spotdrill writes {@code arn:aws:}
 * by hand.
 */
public enum Partition {
    /** The commercial regions. */
    AWS("aws", "aws-global", "https://%s.console.aws.amazon.com"),
    /** AWS GovCloud (US): {@code us-gov-west-1}, {@code us-gov-east-1}. */
    AWS_US_GOV("aws-us-gov", "aws-us-gov-global", "https://console.amazonaws-us-gov.com"),
    /** The China regions: {@code cn-north-1} (Beijing), {@code cn-northwest-1} (Ningxia). */
    AWS_CN("aws-cn", "aws-cn-global", "https://console.amazonaws.cn");

    private final String id;
    private final String iamRegion;
    private final String console;

    Partition(String id, String iamRegion, String console) {
        this.id = id;
        this.iamRegion = iamRegion;
        this.console = console;
    }

    /** The partition of a region: {@code cn-*} is {@code aws-cn}, {@code us-gov-*} is {@code aws-us-gov}, else {@code aws}. */
    public static Partition of(String region) {
        Objects.requireNonNull(region, "region");
        if (region.startsWith("cn-")) {
            return AWS_CN;
        }
        if (region.startsWith("us-gov-")) {
            return AWS_US_GOV;
        }
        return AWS;
    }

    /** The partition's name as ARNs write it: {@code aws}, {@code aws-us-gov} or {@code aws-cn}. */
    public String id() {
        return id;
    }

    /**
     * The region that the SDK signs global IAM calls for in this partition: {@code aws-global},
     * {@code aws-us-gov-global} or {@code aws-cn-global} (IAM's endpoint is {@code iam.amazonaws.com},
     * {@code iam.us-gov.amazonaws.com} or {@code iam.cn-north-1.amazonaws.com.cn}).
     */
    public String iamRegion() {
        return iamRegion;
    }

    /** An ARN in this partition: {@code arn:<partition>:<service>:<region>:<account>:<resource>}. */
    public String arn(String service, String region, String account, String resource) {
        return "arn:" + id + ":" + service + ":" + region + ":" + account + ":" + resource;
    }

    /** An EC2 instance's ARN. */
    public String instanceArn(String region, String account, String instanceId) {
        return arn("ec2", region, account, "instance/" + instanceId);
    }

    /** An IAM role's ARN (IAM is global: no region). */
    public String roleArn(String account, String roleName) {
        return arn("iam", "", account, "role/" + roleName);
    }

    /** The AWS console page of a FIS experiment in a region of this partition. */
    public String fisConsoleUrl(String region, String experimentId) {
        String host = console.contains("%s") ? String.format(console, region) : console;
        return host + "/fis/home?region=" + region + "#ExperimentDetails:ExperimentId=" + experimentId;
    }

    @Override
    public String toString() {
        return id;
    }
}
