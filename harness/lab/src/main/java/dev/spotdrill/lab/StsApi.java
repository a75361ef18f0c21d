package dev.spotdrill.lab;

import java.util.Map;

/** STS: GetCallerIdentity for the lab's one principal. */
final class StsApi extends QueryApi {
    private static final String NS = "https://sts.amazonaws.com/doc/2011-06-15/";

    StsApi(LabContext ctx) {
        super(ctx, "sts", "2011-06-15");
    }

    @Override
    Result dispatch(String action, Map<String, String> params) {
        if (!action.equals("GetCallerIdentity")) {
            throw unknownAction(action);
        }
        return new Result(
                "<GetCallerIdentityResponse xmlns=\"" + NS + "\"><GetCallerIdentityResult><Arn>"
                        + Http.xml(ctx.principalArn) + "</Arn><UserId>" + ctx.userId + "</UserId><Account>"
                        + ctx.account() + "</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>"
                        + "@@REQUEST_ID@@</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
                ctx.principalArn);
    }

    @Override
    String errorXml(ApiError e, String requestId) {
        return errorResponse(NS, e, requestId);
    }

    @Override
    ApiError authError(boolean missing) {
        return missing
                ? new ApiError(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
                : new ApiError(403, "InvalidClientTokenId", "The security token included in the request is invalid.");
    }
}
