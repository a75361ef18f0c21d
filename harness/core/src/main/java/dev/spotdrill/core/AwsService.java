package dev.spotdrill.core;

/** The AWS services that spotdrill calls, each of which a {@link World} may point at its own endpoint. */
public enum AwsService {
    FIS,
    EC2,
    STS,
    IAM,
    SQS,
    EVENTBRIDGE,
    SSM
}
