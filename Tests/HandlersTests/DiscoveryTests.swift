import Foundation
import Testing

@testable import Handlers

/// `GET /<poolId>/.well-known/jwks.json` and `/openid-configuration`: what JWT libraries fetch.
struct DiscoveryTests {
    static func get(_ h: Harness, _ path: String, method: String = "GET") -> Response {
        h.service.handle(Request(method: method, path: path))
    }

    static func body(_ r: Response) -> JSON { (try? JSON.parse(r.body)) ?? .null }

    @Test func jwksPublishesThePoolsKey() throws {
        let f = try TokenFixture()
        let r = Self.get(f.h, "/\(f.poolId)/.well-known/jwks.json")
        #expect(r.status == 200)
        #expect(r.header("Content-Type") == "application/json")
        #expect(r.header("x-amzn-RequestId")?.isEmpty == false)
        let set = try #require(try f.services.keys.keys(of: f.poolId, in: f.h.store))
        let key = set.signingKey
        // Both keys, as AWS publishes its two: the access tokens' and the ID tokens'.
        #expect(Self.body(r) == ["keys": .array(set.keys.map(\.jwk))])
        #expect(Set(set.keys.map(\.kid)) == [set.signingKey.kid, set.idTokenKey.kid] && set.keys.count == 2)
        let jwks = try #require(Self.body(r)["keys"]?.arrayValue)
        for jwk in jwks { #expect(Set(jwk.objectValue?.keys ?? [:].keys) == ["kty", "alg", "use", "kid", "n", "e"]) }
        // No private member of a JWK (d, p, q, dp, dq, qi) ever leaves.
        #expect(!r.bodyString.contains("PRIVATE"))

        // Tokens the pool issued name keys the JWKS holds, one for access tokens and another for ID tokens.
        try f.addUser()
        let result = try f.signIn().result
        let access = try JWT(parsing: try #require(result.accessToken))
        let id = try JWT(parsing: try #require(result.idToken))
        #expect(access.kid == key.kid)
        #expect(id.kid == set.idTokenKey.kid && id.kid != access.kid)
        try access.verify(with: set)
        try id.verify(with: set)
    }

    @Test func openIDConfiguration() throws {
        let f = try TokenFixture()
        let r = Self.get(f.h, "/\(f.poolId)/.well-known/openid-configuration")
        #expect(r.status == 200)
        #expect(r.header("Content-Type") == "application/json")
        let issuer = "http://127.0.0.1:8080/" + f.poolId
        #expect(Self.body(r) == [
            "issuer": .string(issuer),
            "jwks_uri": .string(issuer + "/.well-known/jwks.json"),
            "response_types_supported": [],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": .array(Discovery.claimsSupported.map(JSON.string)),
        ])
        // Every claim our tokens carry is listed, but the pool's own custom attributes.
        try f.addUser()
        let result = try f.signIn().result
        let claims = try Set(f.claims(result.accessToken).keys).union(f.claims(result.idToken).keys)
            .filter { !$0.hasPrefix("custom:") }
        #expect(claims.subtracting(Discovery.claimsSupported).isEmpty, "\(claims.subtracting(Discovery.claimsSupported))")
    }

    @Test func issuerIsTheConfiguredBaseNotTheHost() throws {
        let h = try Harness { $0.issuerBaseURL = "https://auth.example.org" }
        let f = try TokenFixture(harness: h)
        let r = h.service.handle(Request(
            method: "GET", path: "/\(f.poolId)/.well-known/openid-configuration", headers: ["Host": "evil.example.com"]))
        #expect(Self.body(r)["issuer"] == .string("https://auth.example.org/" + f.poolId))
        #expect(Self.body(r)["jwks_uri"] == .string("https://auth.example.org/\(f.poolId)/.well-known/jwks.json"))
    }

    @Test func unknownPoolIs404() throws {
        let h = try Harness()
        for path in ["/us-east-1_doesNotExist0/.well-known/jwks.json",
                     "/us-east-1_doesNotExist0/.well-known/openid-configuration"] {
            let r = Self.get(h, path)
            #expect(r.status == 404)
            #expect(r.header("Content-Type") == "application/json")
            #expect(r.header("x-amzn-RequestId")?.isEmpty == false)
            #expect(Self.body(r) == [
                "__type": "ResourceNotFoundException", "message": "User pool us-east-1_doesNotExist0 does not exist.",
            ])
        }
        // Not a pool id at all: the same answer, and nothing is created.
        let r = Self.get(h, "/..%2F..%2Fetc/.well-known/jwks.json")
        #expect(r.status == 404 && Self.body(r)["__type"] == "ResourceNotFoundException")
        #expect(try FileSystem.list(h.dir.path + "/pools").isEmpty)
    }

    @Test func deletedPoolIs404() throws {
        let f = try TokenFixture()
        f.h.ok("DeleteUserPool", ["UserPoolId": .string(f.poolId)])
        #expect(Self.get(f.h, "/\(f.poolId)/.well-known/jwks.json").status == 404)
        #expect(Self.get(f.h, "/\(f.poolId)/.well-known/openid-configuration").status == 404)
    }

    @Test func aPoolWithoutKeysGetsOneWhenItsJWKSIsAskedFor() throws {
        let f = try TokenFixture()
        let folder = f.h.dir.path + "/pools/" + FileSystem.fileKey(f.poolId) + "/keys"
        FileSystem.removeTree(folder)
        let r = Self.get(f.h, "/\(f.poolId)/.well-known/jwks.json")
        #expect(r.status == 200)
        let kids = try #require(Self.body(r)["keys"]?.arrayValue).compactMap { $0["kid"]?.stringValue }
        #expect(kids.count == 2)
        #expect(try FileSystem.list(folder).sorted() == kids.map { FileSystem.fileKey($0) + ".json" }.sorted())
        #expect(Self.body(Self.get(f.h, "/\(f.poolId)/.well-known/jwks.json")) == Self.body(r))
    }

    @Test func otherPathsAndMethodsAreNotDiscovery() throws {
        let f = try TokenFixture()
        #expect(Discovery.route(Request(method: "GET", path: "/\(f.poolId)/.well-known/jwks.json")) != nil)
        #expect(Discovery.route(Request(method: "HEAD", path: "/\(f.poolId)/.well-known/jwks.json")) != nil)
        for (method, path) in [("POST", "/\(f.poolId)/.well-known/jwks.json"), ("GET", "/\(f.poolId)/.well-known/other"),
                               ("GET", "/\(f.poolId)/jwks.json"), ("GET", "/a/\(f.poolId)/.well-known/jwks.json"),
                               ("GET", "/"), ("GET", "/\(f.poolId)/.well-known/jwks.json/")] {
            #expect(Discovery.route(Request(method: method, path: path)) == nil, "\(method) \(path)")
        }
    }
}
