import Foundation
import Testing

@testable import Handlers

/// SigV4 verification against requests signed by botocore 1.43.11 (`SigV4Auth` / `SigV4QueryAuth`, and a real
/// boto3 client for the JSON call), frozen at 2026-11-28T00:00:00Z with AWS's documentation example key. The
/// generator is reproduced at the end of this file; every signature below is botocore's, not ours.
struct SigV4Tests {
    static let key = AccessKey(
        accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        created: "2026-11-28T00:00:00Z")
    /// 2026-11-28T00:00:00Z, when every vector was signed.
    static let signedAt = Date(timeIntervalSince1970: 1_795_824_000)

    static func verifier(_ mode: AuthMode = .sigv4, keys: [AccessKey] = [key]) -> SigV4Verifier {
        SigV4Verifier(credentials: StaticCredentials(keys), mode: mode, service: "cognito-idp")
    }

    static func error(_ request: Request, now: Date = signedAt, mode: AuthMode = .sigv4) -> AWSError? {
        do {
            try verifier(mode).verify(request, now: now)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Vectors (botocore's output)

    /// `client.describe_user_pool(UserPoolId='us-east-1_Ab12CdEf')` from a boto3 cognito-idp client
    /// (endpoint http://localhost:8080); amz-sdk-* headers are sent but not signed.
    static let jsonCall = Request(
        method: "POST", path: "/",
        headers: [
            "Host": "localhost:8080",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.DescribeUserPool",
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Date": "20261128T000000Z",
            "Authorization":
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/cognito-idp/aws4_request, "
                + "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
                + "Signature=4fd1fd2e2f6b79e4eed923f35bcbfddb3ce8c582669b34518a9ff0ce5b1cb349",
            "amz-sdk-invocation-id": "fd89b4d0-ee23-4257-b7a3-dde4659a628e",
            "amz-sdk-request": "attempt=1",
            "Content-Length": "36",
        ],
        body: Array(#"{"UserPoolId": "us-east-1_Ab12CdEf"}"#.utf8))

    /// The seed's query form with an Authorization header: `SigV4Auth` over `params`, URL from
    /// `AWSRequest.prepare()` (which writes spaces as `+`, while the signature covers `%20`).
    static let queryParameters =
        "Action=UpdateUserPoolClient&UserPoolId=us-east-1_Ab12CdEf&ClientId=1example23456789"
        + "&ClientName=my+app%2B%2F%3D%C3%A9+%E4%BD%A0%E5%A5%BD~%2A"
        + "&ExplicitAuthFlows=%5B%22ALLOW_USER_PASSWORD_AUTH%22%2C%22ALLOW_REFRESH_TOKEN_AUTH%22%5D"
        + "&RefreshTokenValidity=30"
    static let queryCall = Request(
        method: "GET", path: "/", query: queryParameters,
        headers: [
            "Host": "localhost:8080",
            "X-Amz-Date": "20261128T000000Z",
            "Authorization":
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/cognito-idp/aws4_request, "
                + "SignedHeaders=host;x-amz-date, "
                + "Signature=e100866a272d3adeab27396ab5cf374e173b92e4de52f6bb6357303fc3e142e5",
        ])

    /// The same parameters presigned by `SigV4QueryAuth(..., 'eu-west-3', expires=3600)`.
    static let presignedQuery =
        "Action=UpdateUserPoolClient&UserPoolId=us-east-1_Ab12CdEf&ClientId=1example23456789"
        + "&ClientName=my%20app%2B%2F%3D%C3%A9%20%E4%BD%A0%E5%A5%BD~%2A"
        + "&ExplicitAuthFlows=%5B%22ALLOW_USER_PASSWORD_AUTH%22%2C%22ALLOW_REFRESH_TOKEN_AUTH%22%5D"
        + "&RefreshTokenValidity=30&X-Amz-Algorithm=AWS4-HMAC-SHA256"
        + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20261128%2Feu-west-3%2Fcognito-idp%2Faws4_request"
        + "&X-Amz-Date=20261128T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
        + "&X-Amz-Signature=00ec997200119cd37e48f874475a02659d451bb03d0bb8788005c75d864b2c02"
    static let presignedCall = Request(
        method: "GET", path: "/", query: presignedQuery, headers: ["Host": "localhost:8080"])

    /// A query already in the URL (`a+b%2Bc`): botocore signs those pairs exactly as sent.
    static let rawPlusCall = Request(
        method: "GET", path: "/", query: "Action=ListUserPools&MaxResults=10&Name=a+b%2Bc",
        headers: [
            "Host": "cognito.example.com",
            "X-Amz-Date": "20261128T000000Z",
            "Authorization":
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/cognito-idp/aws4_request, "
                + "SignedHeaders=host;x-amz-date, "
                + "Signature=6826005ba7351be017670942e9eed58d8e533a5e4ccdbd27f1e2819bd586e24b",
        ])

    /// A `Date` header (botocore's `formatdate`, zone `-0000`) instead of X-Amz-Date, and a session token.
    static let dateHeaderCall = Request(
        method: "POST", path: "/",
        headers: [
            "Host": "localhost:8080",
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.DeleteUserPoolClient",
            "Date": "Sat, 28 Nov 2026 00:00:00 -0000",
            "X-Amz-Security-Token": "FQoGZXIvYXdzEXAMPLETOKEN",
            "Authorization":
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/cognito-idp/aws4_request, "
                + "SignedHeaders=content-type;date;host;x-amz-security-token;x-amz-target, "
                + "Signature=b0a4a2bfc2e8a1f0233ca39cae0b7cd2eebcf5122265aaed79eb2a9faa1d1cd0",
            "Content-Length": "68",
        ],
        body: Array(#"{"UserPoolId": "us-east-1_Ab12CdEf", "ClientId": "1example23456789"}"#.utf8))

    static let smallBody = Array(#"{"UserPoolId":"us-east-1_Ab12CdEf"}"#.utf8)

    /// HTTPS with payload signing off: `X-Amz-Content-SHA256: UNSIGNED-PAYLOAD`, S3's option, refused here.
    static let unsignedPayloadCall = Request(
        method: "POST", path: "/",
        headers: [
            "Host": "cognito.example.com",
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.DescribeUserPool",
            "X-Amz-Date": "20261128T000000Z",
            "X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD",
            "Authorization":
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/cognito-idp/aws4_request, "
                + "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target, "
                + "Signature=d842d956e7f4da3eb3406573b68b74a40eb73c20d63393151f0d36c134505905",
        ],
        body: smallBody)

    /// An explicit `X-Amz-Content-SHA256` equal to the body's hash.
    static let contentHashCall = Request(
        method: "POST", path: "/",
        headers: [
            "Host": "localhost:8080",
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.DescribeUserPool",
            "X-Amz-Content-SHA256": "873eecf4344af7ef3947e3da057c832d9093cc6288e900516a7c4d31fb96f8fe",
            "X-Amz-Date": "20261128T000000Z",
            "Authorization":
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/cognito-idp/aws4_request, "
                + "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target, "
                + "Signature=baeacff31ff6980b0fc1563900e6582482bb167c38b6457e23c6f4bf52bdeb9d",
        ],
        body: smallBody)

    static let vectors: [String: Request] = [
        "jsonCall": jsonCall, "queryCall": queryCall, "presignedCall": presignedCall, "rawPlusCall": rawPlusCall,
        "dateHeaderCall": dateHeaderCall, "contentHashCall": contentHashCall,
    ]

    // MARK: botocore's requests are accepted

    @Test(arguments: vectors.keys.sorted())
    func botocoreRequestVerifies(_ name: String) throws {
        let request = try #require(Self.vectors[name])
        try Self.verifier().verify(request, now: Self.signedAt)
    }

    /// A signature over `UNSIGNED-PAYLOAD` would leave the body unsigned, free to be swapped; the body's own hash is
    /// what must be signed, so botocore's signature over the literal does not match.
    @Test func unsignedPayloadIsNotAnOption() {
        var swapped = Self.unsignedPayloadCall
        swapped.body = Array(#"{"UserPoolId":"us-east-1_Other000"}"#.utf8)
        for request in [Self.unsignedPayloadCall, swapped] {
            #expect(Self.error(request)?.code == .invalidSignature)
        }
    }

    @Test func canonicalRequestAndStringToSignMatchBotocore() throws {
        // botocore's SigV4Auth.canonical_request / string_to_sign for `queryCall`.
        let expectedCanonical = [
            "GET",
            "/",
            "Action=UpdateUserPoolClient&ClientId=1example23456789"
                + "&ClientName=my%20app%2B%2F%3D%C3%A9%20%E4%BD%A0%E5%A5%BD~%2A"
                + "&ExplicitAuthFlows=%5B%22ALLOW_USER_PASSWORD_AUTH%22%2C%22ALLOW_REFRESH_TOKEN_AUTH%22%5D"
                + "&RefreshTokenValidity=30&UserPoolId=us-east-1_Ab12CdEf",
            "host:localhost:8080",
            "x-amz-date:20261128T000000Z",
            "",
            "host;x-amz-date",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ].joined(separator: "\n")
        let request = Self.queryCall
        let pairs = QueryPair.parse(request.query)
        let canonicalQuery = try #require(SigV4Verifier.canonicalQueryCandidates(pairs, excluding: []).first)
        let canonical = SigV4Verifier.canonicalRequest(
            method: request.method, path: request.path, canonicalQuery: canonicalQuery,
            signedHeaders: ["host", "x-amz-date"], headers: request.headers,
            payloadHash: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(canonical == expectedCanonical)

        let signed = try Self.verifier().parse(request, query: pairs)
        #expect(
            SigV4Verifier.stringToSign(signed, canonicalRequest: canonical)
                == "AWS4-HMAC-SHA256\n20261128T000000Z\n20261128/us-east-1/cognito-idp/aws4_request\n"
                + "8d4152d16addb280f5976a777bf7b2af2eb45e11a6dab3477f4f7b41b1c4df1e")
    }

    @Test func canonicalURIFollowsBotocore() {
        #expect(SigV4Verifier.canonicalURI("") == "/")
        #expect(SigV4Verifier.canonicalURI("/") == "/")
        #expect(SigV4Verifier.canonicalURI("//a/./b/../c/") == "/a/c/")
        // Encoded once more, as botocore quotes the path as it appears in the URL.
        #expect(SigV4Verifier.canonicalURI("/a%20b/é") == "/a%2520b/%C3%A9")
    }

    @Test func canonicalQueryCandidates() {
        // AWS's rule first (`+` is a space, as the operation reads it), then the pairs as sent; never `+` as a plus.
        let pairs = QueryPair.parse("Name=a+b%2Bc&Action=X&&Flag")
        #expect(
            SigV4Verifier.canonicalQueryCandidates(pairs, excluding: [])
                == ["Action=X&Flag=&Name=a%20b%2Bc", "Action=X&Flag=&Name=a+b%2Bc"])
        #expect(
            SigV4Verifier.canonicalQueryCandidates(
                QueryPair.parse("b=2&a=%7e&X-Amz-Signature=ff"), excluding: ["X-Amz-Signature"])
                == ["a=~&b=2", "a=%7e&b=2"])
        // Repeated names sort by value.
        #expect(SigV4Verifier.canonicalQueryCandidates(QueryPair.parse("a=2&a=1"), excluding: []) == ["a=1&a=2"])
    }

    @Test func timestamps() {
        #expect(UTCTime.parseBasic("20261128T000000Z") == 1_795_824_000)
        #expect(UTCTime.basic(1_795_824_000) == "20261128T000000Z")
        #expect(UTCTime.iso8601(1_795_824_061) == "2026-11-28T00:01:01Z")
        #expect(UTCTime.parseBasic("20280229T120000Z") != nil)
        #expect(UTCTime.parseBasic("20270229T120000Z") == nil)
        #expect(UTCTime.parseBasic("20261128T240000Z") == nil)
        #expect(UTCTime.parseBasic("20261128T000000") == nil)
        #expect(UTCTime.parseHTTPDate("Sat, 28 Nov 2026 00:00:00 GMT") == 1_795_824_000)
        #expect(UTCTime.parseHTTPDate("Sat, 28 Nov 2026 01:00:00 +0100") == 1_795_824_000)
        #expect(UTCTime.parseHTTPDate("28 Nov 2026 00:00:00 -0000") == 1_795_824_000)
        #expect(UTCTime.parseHTTPDate("2026-11-28T00:00:00Z") == nil)
        #expect(UTCTime.basic(0) == "19700101T000000Z")
    }

    @Test func headerValuesAreTrimmedAndCollapsed() {
        #expect(SigV4Verifier.trimAll("  a   b \t c  ") == "a b c")
    }

    // MARK: Tampering

    static func replacing(_ request: Request, header name: String, with value: String?) -> Request {
        var copy = request
        copy.headers[name.lowercased()] = value
        return copy
    }

    static let mismatch =
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
        + "Access Key and signing method. Consult the service documentation for details."

    @Test func changedBodyIsRejected() {
        var request = Self.jsonCall
        request.body = Array(#"{"UserPoolId": "us-east-1_Other"}"#.utf8)
        #expect(Self.error(request) == AWSError(.invalidSignature, Self.mismatch))
        #expect(Self.error(request)?.httpStatus == 403)
    }

    @Test func changedSignedHeaderIsRejected() {
        let request = Self.replacing(
            Self.jsonCall, header: "X-Amz-Target", with: "AWSCognitoIdentityProviderService.DeleteUserPool")
        #expect(Self.error(request) == AWSError(.invalidSignature, Self.mismatch))
    }

    @Test func unsignedHeaderMayChange() throws {
        let request = Self.replacing(Self.jsonCall, header: "amz-sdk-request", with: "attempt=2")
        try Self.verifier().verify(request, now: Self.signedAt)
    }

    @Test func changedQueryIsRejected() {
        var request = Self.queryCall
        request.query = request.query.replacingOccurrences(
            of: "RefreshTokenValidity=30", with: "RefreshTokenValidity=31")
        #expect(Self.error(request) == AWSError(.invalidSignature, Self.mismatch))

        var presigned = Self.presignedCall
        presigned.query = presigned.query.replacingOccurrences(of: "my%20app", with: "my%20apq")
        #expect(Self.error(presigned) == AWSError(.invalidSignature, Self.mismatch))
    }

    @Test func wrongSecretIsRejected() {
        let other = AccessKey(
            accessKeyId: Self.key.accessKeyId, secretAccessKey: "x" + Self.key.secretAccessKey.dropFirst(),
            created: "")
        #expect(throws: AWSError(.invalidSignature, Self.mismatch)) {
            try Self.verifier(keys: [other]).verify(Self.jsonCall, now: Self.signedAt)
        }
    }

    @Test func contentHashHeaderMustMatchBody() {
        var request = Self.contentHashCall
        request.body = Array(#"{"UserPoolId":"us-east-1_Other0000"}"#.utf8)
        #expect(
            Self.error(request)
                == AWSError(
                    .invalidSignature, "The provided 'x-amz-content-sha256' header does not match what was computed."))
    }

    @Test func signedHeaderMissingFromRequest() {
        let request = Self.replacing(Self.jsonCall, header: "Content-Type", with: nil)
        #expect(
            Self.error(request)
                == AWSError(
                    .incompleteSignature,
                    "'content-type' is named as a SignedHeader, but it does not exist in the HTTP request."))
    }

    // MARK: Errors

    @Test func noSignatureAtAll() {
        let request = Request(method: "POST", path: "/", headers: ["Host": "localhost"], body: Self.smallBody)
        let error = Self.error(request)
        #expect(error == AWSError(.missingAuthenticationToken, "Missing Authentication Token"))
        #expect(error?.httpStatus == 403)
        // The query form without presign parameters is no different.
        #expect(
            Self.error(Request(method: "GET", path: "/", query: "Action=ListUserPools&MaxResults=10"))?.code
                == .missingAuthenticationToken)
    }

    @Test func authorizationWithoutParameters() {
        let request = Self.replacing(Self.jsonCall, header: "Authorization", with: "eyJhbGciOiJSUzI1NiJ9")
        let noDate = Self.replacing(request, header: "X-Amz-Date", with: nil)
        #expect(
            Self.error(noDate)
                == AWSError(
                    .incompleteSignature,
                    "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' "
                        + "parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header "
                        + "requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                        + "Authorization=eyJhbGciOiJSUzI1NiJ9"))
        #expect(Self.error(noDate)?.httpStatus == 403)
    }

    @Test func authorizationMissingSignature() {
        let header =
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/cognito-idp/aws4_request, "
            + "SignedHeaders=content-type;host;x-amz-date;x-amz-target"
        let request = Self.replacing(Self.jsonCall, header: "Authorization", with: header)
        #expect(
            Self.error(request)
                == AWSError(
                    .incompleteSignature, "Authorization header requires 'Signature' parameter. Authorization=\(header)"
                ))
    }

    @Test func authorizationNotKeyValue() {
        let request = Self.replacing(Self.jsonCall, header: "Authorization", with: "Bearer abc.def")
        #expect(
            Self.error(request)
                == AWSError(
                    .incompleteSignature,
                    "'abc.def' not a valid key=value pair (missing equal-sign) in Authorization header: "
                        + "'Bearer abc.def'."))
    }

    @Test func unsupportedAlgorithm() throws {
        let header = try #require(Self.jsonCall.headers["authorization"])
            .replacingOccurrences(of: "AWS4-HMAC-SHA256", with: "AWS4-HMAC-SHA512")
        let request = Self.replacing(Self.jsonCall, header: "Authorization", with: header)
        #expect(Self.error(request)?.code == .incompleteSignature)
    }

    @Test func badDateFormat() {
        let request = Self.replacing(Self.jsonCall, header: "X-Amz-Date", with: "2026-11-28T00:00:00Z")
        #expect(
            Self.error(request)
                == AWSError(
                    .incompleteSignature,
                    "Date must be in ISO-8601 'basic format'. Got '2026-11-28T00:00:00Z'. See "
                        + "http://en.wikipedia.org/wiki/ISO_8601"))
        #expect(
            Self.error(Self.replacing(Self.jsonCall, header: "X-Amz-Date", with: "20261131T000000Z"))?.code
                == .incompleteSignature)
        let badDate = Self.replacing(Self.dateHeaderCall, header: "Date", with: "yesterday")
        #expect(Self.error(badDate)?.code == .incompleteSignature)
    }

    static func withCredential(_ credential: String) -> Request {
        let header =
            "AWS4-HMAC-SHA256 Credential=\(credential), SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
            + "Signature=4fd1fd2e2f6b79e4eed923f35bcbfddb3ce8c582669b34518a9ff0ce5b1cb349"
        return replacing(jsonCall, header: "Authorization", with: header)
    }

    @Test func credentialWithoutFiveElements() {
        #expect(
            Self.error(Self.withCredential("AKIAIOSFODNN7EXAMPLE/20261128/cognito-idp/aws4_request"))
                == AWSError(
                    .incompleteSignature,
                    "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
                        + "got 'AKIAIOSFODNN7EXAMPLE/20261128/cognito-idp/aws4_request'"))
        #expect(
            Self.error(Self.withCredential("AKIA/X/20261128/us-east-1/cognito-idp/aws4_request"))?.code
                == .incompleteSignature)
    }

    @Test func scopeForAnotherService() {
        #expect(
            Self.error(Self.withCredential("AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/dynamodb/aws4_request"))
                == AWSError(.incompleteSignature, "Credential should be scoped to correct service: 'cognito-idp'. "))
    }

    @Test func scopeWithWrongTerminator() {
        #expect(
            Self.error(Self.withCredential("AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/cognito-idp/aws4_reqest"))
                == AWSError(
                    .incompleteSignature,
                    "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws4_reqest'."))
    }

    @Test func scopeDateNotTheRequestDate() {
        #expect(
            Self.error(Self.withCredential("AKIAIOSFODNN7EXAMPLE/20261127/us-east-1/cognito-idp/aws4_request"))
                == AWSError(
                    .incompleteSignature,
                    "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                        + "'20261127' != '20261128', from '20261128T000000Z'."))
    }

    @Test func anyRegionIsAccepted() throws {
        // The presigned vector is scoped to eu-west-3; the header vectors to us-east-1.
        try Self.verifier().verify(Self.presignedCall, now: Self.signedAt)
        try Self.verifier().verify(Self.jsonCall, now: Self.signedAt)
    }

    @Test func hostMustBeSigned() {
        let header =
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/cognito-idp/aws4_request, "
            + "SignedHeaders=content-type;x-amz-date;x-amz-target, Signature=00"
        #expect(
            Self.error(Self.replacing(Self.jsonCall, header: "Authorization", with: header))
                == AWSError(
                    .incompleteSignature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."))
    }

    @Test func unknownAccessKey() {
        let request = Self.withCredential("AKIAUNKNOWNKEY000000/20261128/us-east-1/cognito-idp/aws4_request")
        let error = Self.error(request)
        #expect(error == AWSError(.unrecognizedClient, "The security token included in the request is invalid."))
        #expect(error?.httpStatus == 403)
    }

    // MARK: Time

    @Test func fifteenMinutesEitherWayIsAccepted() throws {
        for offset in [-900.0, -899.5, 0, 899.9, 900.0] {
            try Self.verifier().verify(Self.jsonCall, now: Self.signedAt.addingTimeInterval(offset))
        }
    }

    @Test func olderThanFifteenMinutesIsExpired() {
        #expect(
            Self.error(Self.jsonCall, now: Self.signedAt.addingTimeInterval(1800))
                == AWSError(
                    .invalidSignature,
                    "Signature expired: 20261128T000000Z is now earlier than 20261128T001500Z "
                        + "(20261128T003000Z - 15 min.)"))
        #expect(Self.error(Self.jsonCall, now: Self.signedAt.addingTimeInterval(901))?.code == .invalidSignature)
        #expect(Self.error(Self.jsonCall, now: Self.signedAt.addingTimeInterval(901))?.httpStatus == 403)
    }

    @Test func moreThanFifteenMinutesAheadIsNotYetCurrent() {
        #expect(
            Self.error(Self.jsonCall, now: Self.signedAt.addingTimeInterval(-1800))
                == AWSError(
                    .invalidSignature,
                    "Signature not yet current: 20261128T000000Z is still later than 20261127T234500Z "
                        + "(20261127T233000Z + 15 min.)"))
        #expect(Self.error(Self.jsonCall, now: Self.signedAt.addingTimeInterval(-901))?.code == .invalidSignature)
    }

    @Test func presignedURLLastsForItsExpiryUpToFifteenMinutes() throws {
        // X-Amz-Expires=3600 asks for an hour; AWS's services other than S3 honour 15 minutes.
        try Self.verifier().verify(Self.presignedCall, now: Self.signedAt.addingTimeInterval(900))
        #expect(
            Self.error(Self.presignedCall, now: Self.signedAt.addingTimeInterval(901))
                == AWSError(
                    .invalidSignature,
                    "Signature expired: 20261128T000000Z is now earlier than 20261128T000001Z "
                        + "(20261128T001501Z - 900 sec.)"))
        #expect(Self.error(Self.presignedCall, now: Self.signedAt.addingTimeInterval(-901))?.code == .invalidSignature)
    }

    // MARK: What an attacker might change (found by a security audit)

    /// The signature covers exactly the pairs the operation reads: both split the query on the bytes `&` and `=`,
    /// even where Unicode joins a `&` to the character before it (U+0600) or after it (U+0301).
    @Test func theSignatureAndTheOperationSplitTheQueryAlike() {
        let query = "X-Amz-Signature=z\u{600}&Action=DeleteUserPool&\u{301}junk\u{600}&UserPoolId=p&Name=a+b"
        let signed = QueryPair.parse(query).map { [$0.name, $0.value] }
        let read = QueryForm.parse(query).map { [$0.0, $0.1] }
        #expect(signed == read)
        #expect(signed.map { $0[0] } == ["X-Amz-Signature", "Action", "\u{301}junk\u{600}", "UserPoolId", "Name"])
    }

    /// X-Amz-Signature is the one parameter the signature does not cover: a second one is refused.
    @Test func aSecondSignatureParameterIsRefused() {
        var request = Self.presignedCall
        request.query += "&X-Amz-Signature=" + String(repeating: "0", count: 64)
        #expect(Self.error(request) == AWSError(
            .incompleteSignature, "X-Amz-Signature must be given once. Re-examine the query-string parameters."))
    }

    /// The header that names the operation must be signed when it is sent.
    @Test func anUnsignedOperationHeaderIsRefused() {
        var request = Self.jsonCall
        request.headers["authorization"] = request.headers["authorization"]!.replacingOccurrences(
            of: "SignedHeaders=content-type;host;x-amz-date;x-amz-target", with: "SignedHeaders=host;x-amz-date")
        #expect(Self.error(request) == AWSError(
            .incompleteSignature, "'x-amz-target' is present in the HTTP request, but it is not named as a SignedHeader."))
    }

    @Test func headerAndQueryAuthenticationTogetherAreRefused() {
        var request = Self.presignedCall
        request.headers["authorization"] = Self.jsonCall.headers["authorization"]
        request.headers["x-amz-date"] = "20261128T000000Z"
        #expect(Self.error(request) == AWSError(
            .invalidSignature, "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."))
    }

    /// An HTTP date's year is unbounded text; beyond four digits it is no date (the arithmetic would overflow).
    @Test func httpDatesOfHugeYearsAreNoDates() {
        for year in ["1000000000000", "-1000000000000", "99999999999999999", "10000"] {
            #expect(UTCTime.parseHTTPDate("Thu, 01 Jan \(year) 00:00:00 GMT") == nil)
        }
        #expect(UTCTime.parseHTTPDate("Sat, 28 Nov 2026 00:00:00 GMT") == 1_795_824_000)
        var request = Self.dateHeaderCall
        request.headers["date"] = "Thu, 01 Jan 1000000000000 00:00:00 GMT"
        #expect(Self.error(request)?.code == .incompleteSignature)
    }

    // MARK: Presigned form errors

    static func presigned(removing name: String) -> Request {
        var request = presignedCall
        request.query = request.query.split(separator: "&").filter { !$0.hasPrefix(name + "=") }.joined(separator: "&")
        return request
    }

    @Test func presignedMissingParameters() {
        #expect(
            Self.error(Self.presigned(removing: "X-Amz-Signature"))
                == AWSError(
                    .incompleteSignature,
                    "AWS query-string parameters must include 'X-Amz-Signature'. "
                        + "Re-examine the query-string parameters."))
        #expect(Self.error(Self.presigned(removing: "X-Amz-Credential"))?.code == .incompleteSignature)
        #expect(Self.error(Self.presigned(removing: "X-Amz-Date"))?.code == .incompleteSignature)
        #expect(Self.error(Self.presigned(removing: "X-Amz-SignedHeaders"))?.code == .incompleteSignature)
    }

    @Test func presignedBadParameters() {
        var algorithm = Self.presignedCall
        algorithm.query = algorithm.query.replacingOccurrences(
            of: "X-Amz-Algorithm=AWS4-HMAC-SHA256", with: "X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256")
        #expect(
            Self.error(algorithm)
                == AWSError(.incompleteSignature, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""))

        var week = Self.presignedCall
        week.query = week.query.replacingOccurrences(of: "X-Amz-Expires=3600", with: "X-Amz-Expires=604801")
        #expect(Self.error(week)?.code == .incompleteSignature)

        var scope = Self.presignedCall
        scope.query = scope.query.replacingOccurrences(of: "%2Fcognito-idp%2F", with: "%2Fsts%2F")
        #expect(
            Self.error(scope)
                == AWSError(.incompleteSignature, "Credential should be scoped to correct service: 'cognito-idp'. "))

        var unknown = Self.presignedCall
        unknown.query = unknown.query.replacingOccurrences(of: "AKIAIOSFODNN7EXAMPLE", with: "AKIAIOSFODNN7EXAMPLF")
        #expect(Self.error(unknown)?.code == .unrecognizedClient)
    }

    // MARK: Any-signature mode

    @Test func anySignatureModeSkipsKeyAndSignature() throws {
        let fake = Self.withCredential("AKIAANYTHINGATALL000/20261128/local/cognito-idp/aws4_request")
        try Self.verifier(.anySignature).verify(fake, now: Self.signedAt)
        var tampered = Self.jsonCall
        tampered.body = Array("{}".utf8)
        try Self.verifier(.anySignature).verify(tampered, now: Self.signedAt)
        try Self.verifier(.anySignature).verify(Self.presignedCall, now: Self.signedAt.addingTimeInterval(86_400))
        // The same requests fail when signatures are checked.
        #expect(Self.error(fake)?.code == .unrecognizedClient)
        #expect(Self.error(tampered)?.code == .invalidSignature)
    }

    @Test func anySignatureModeStillNeedsAWellFormedSignature() {
        let mode = AuthMode.anySignature
        #expect(
            Self.error(Request(method: "POST", path: "/", headers: ["Host": "h"]), mode: mode)?.code
                == .missingAuthenticationToken)
        #expect(
            Self.error(Self.replacing(Self.jsonCall, header: "Authorization", with: "Bearer x"), mode: mode)?.code
                == .incompleteSignature)
        #expect(
            Self.error(Self.withCredential("AKIA/20261128/us-east-1/s3/aws4_request"), mode: mode)?.code
                == .incompleteSignature)
        #expect(
            Self.error(Self.withCredential("AKIA/cognito-idp/aws4_request"), mode: mode)?.code == .incompleteSignature)
        #expect(Self.error(Self.presigned(removing: "X-Amz-Credential"), mode: mode)?.code == .incompleteSignature)
    }

    // MARK: Keys from the credentials file

    /// Signs like botocore's SigV4Auth (checked against its vectors above), for keys made during a test.
    static func signed(_ request: Request, with key: AccessKey, at date: Date) -> Request {
        var request = request
        let timestamp = UTCTime.basic(UTCTime.seconds(date))
        request.headers["x-amz-date"] = timestamp
        let scope = "\(timestamp.prefix(8))/us-east-1/cognito-idp/aws4_request"
        let signedHeaders = request.headers.keys.filter {
            $0 == "host" || $0.hasPrefix("x-amz-") || $0 == "content-type"
        }
        .sorted()
        let canonical = SigV4Verifier.canonicalRequest(
            method: request.method, path: request.path,
            canonicalQuery: SigV4Verifier.canonicalQueryCandidates(QueryPair.parse(request.query), excluding: [])[0],
            signedHeaders: signedHeaders, headers: request.headers,
            payloadHash: SigV4Verifier.sha256Hex(request.body))
        let stringToSign = [
            "AWS4-HMAC-SHA256", timestamp, scope, SigV4Verifier.sha256Hex(Array(canonical.utf8)),
        ].joined(separator: "\n")
        let signingKey = SigV4Verifier.signingKey(
            secret: key.secretAccessKey, date: String(timestamp.prefix(8)), region: "us-east-1",
            service: "cognito-idp")
        request.headers["authorization"] =
            "AWS4-HMAC-SHA256 Credential=\(key.accessKeyId)/\(scope), "
            + "SignedHeaders=\(signedHeaders.joined(separator: ";")), "
            + "Signature=\(SigV4Verifier.signature(key: signingKey, stringToSign: stringToSign))"
        return request
    }

    @Test func testSignerAgreesWithBotocore() {
        var unsigned = Self.jsonCall
        unsigned.headers["authorization"] = nil
        unsigned.headers["amz-sdk-invocation-id"] = nil
        unsigned.headers["amz-sdk-request"] = nil
        unsigned.headers["content-length"] = nil
        #expect(
            Self.signed(unsigned, with: Self.key, at: Self.signedAt).headers["authorization"]
                == Self.jsonCall.headers["authorization"])
    }

    @Test func newKeyWorksWithoutRestart() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sigv4-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = CredentialsFile(dataDirectory: directory)
        let verifier = SigV4Verifier(credentials: file, mode: .sigv4)
        let now = Date(timeIntervalSince1970: 1_795_824_000)
        let template = Request(
            method: "POST", path: "/",
            headers: [
                "Host": "localhost:8080", "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools",
            ],
            body: Array(#"{"MaxResults": 10}"#.utf8))

        // No file yet: the key in the request is unknown.
        let stranger = AccessKey(accessKeyId: "AKIASTRANGER00000000", secretAccessKey: "s", created: "")
        #expect(throws: AWSError(.unrecognizedClient, "The security token included in the request is invalid.")) {
            try verifier.verify(Self.signed(template, with: stranger, at: now), now: now)
        }

        // A key created (by another process, as `keys create` would) is accepted by the same verifier at once.
        let first = try CredentialsFile(dataDirectory: directory).create(random: SystemRandom(), now: now)
        try verifier.verify(Self.signed(template, with: first, at: now), now: now)

        let second = try CredentialsFile(dataDirectory: directory).create(random: SystemRandom(), now: now)
        try verifier.verify(Self.signed(template, with: second, at: now), now: now)
        try verifier.verify(Self.signed(template, with: first, at: now), now: now)
        #expect(throws: AWSError.self) {
            try verifier.verify(Self.signed(template, with: stranger, at: now), now: now)
        }
    }
}

// The vectors above were produced with this script (botocore 1.43.11, Python 3.11); rerun it to regenerate.
//
// import datetime, json, hashlib
// from unittest import mock
// import botocore.auth, botocore.session
// from botocore.auth import SigV4Auth, SigV4QueryAuth
// from botocore.awsrequest import AWSRequest, AWSResponse
// from botocore.credentials import Credentials
//
// FIXED = datetime.datetime(2026, 11, 28, 0, 0, 0)
// AK, SK = 'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
// creds = Credentials(AK, SK)
// def show(name, r): print(name, r.method, r.url, dict(r.headers), r.body)
//
// with mock.patch.object(botocore.auth, 'get_current_datetime', return_value=FIXED):
//     client = botocore.session.get_session().create_client('cognito-idp', region_name='us-east-1',
//         endpoint_url='http://localhost:8080', aws_access_key_id=AK, aws_secret_access_key=SK)
//     captured = {}
//     def before_send(request, **kw):
//         captured['r'] = request
//         return AWSResponse(request.url, 200, {}, None)
//     client.meta.events.register('before-send', before_send)
//     try: client.describe_user_pool(UserPoolId='us-east-1_Ab12CdEf')
//     except Exception: pass
//     show('jsonCall', captured['r'])
//
//     params = {'Action': 'UpdateUserPoolClient', 'UserPoolId': 'us-east-1_Ab12CdEf', 'ClientId': '1example23456789',
//               'ClientName': 'my app+/=é 你好~*',
//               'ExplicitAuthFlows': '["ALLOW_USER_PASSWORD_AUTH","ALLOW_REFRESH_TOKEN_AUTH"]',
//               'RefreshTokenValidity': '30'}
//     req = AWSRequest(method='GET', url='http://localhost:8080/', params=params)
//     SigV4Auth(creds, 'cognito-idp', 'us-east-1').add_auth(req); show('queryCall', req.prepare())
//     req = AWSRequest(method='GET', url='http://localhost:8080/', params=params)
//     SigV4QueryAuth(creds, 'cognito-idp', 'eu-west-3', expires=3600).add_auth(req); show('presignedCall', req.prepare())
//     req = AWSRequest(method='GET', url='http://cognito.example.com/?Action=ListUserPools&MaxResults=10&Name=a+b%2Bc')
//     SigV4Auth(creds, 'cognito-idp', 'us-east-1').add_auth(req); show('rawPlusCall', req.prepare())
//     body = json.dumps({'UserPoolId': 'us-east-1_Ab12CdEf', 'ClientId': '1example23456789'}).encode()
//     req = AWSRequest(method='POST', url='http://localhost:8080/', data=body, headers={'Date': 'x',
//         'Content-Type': 'application/x-amz-json-1.1',
//         'X-Amz-Target': 'AWSCognitoIdentityProviderService.DeleteUserPoolClient'})
//     SigV4Auth(Credentials(AK, SK, token='FQoGZXIvYXdzEXAMPLETOKEN'), 'cognito-idp', 'us-east-1').add_auth(req)
//     show('dateHeaderCall', req.prepare())
//     body = b'{"UserPoolId":"us-east-1_Ab12CdEf"}'
//     headers = {'Content-Type': 'application/x-amz-json-1.1',
//                'X-Amz-Target': 'AWSCognitoIdentityProviderService.DescribeUserPool'}
//     req = AWSRequest(method='POST', url='https://cognito.example.com/', data=body, headers=dict(headers))
//     req.context['payload_signing_enabled'] = False
//     SigV4Auth(creds, 'cognito-idp', 'us-east-1').add_auth(req); show('unsignedPayloadCall', req.prepare())
//     req = AWSRequest(method='POST', url='http://localhost:8080/', data=body,
//                      headers=dict(headers, **{'X-Amz-Content-SHA256': hashlib.sha256(body).hexdigest()}))
//     SigV4Auth(creds, 'cognito-idp', 'us-east-1').add_auth(req); show('contentHashCall', req.prepare())
//
// botocore's canonical request and string to sign for queryCall come from SigV4Auth.canonical_request(req) and
// SigV4Auth.string_to_sign(req, canonical) after setting req.context['timestamp'] = '20261128T000000Z'.
