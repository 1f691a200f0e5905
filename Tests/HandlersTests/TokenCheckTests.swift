import Crypto
import Foundation
import Testing

@testable import Handlers

/// The one access-token check: every refusal with AWS's message, and what it hands the operation.
struct TokenCheckTests {
    static func check(_ f: TokenFixture, _ token: String?, mode: Store.LockMode = .shared) throws -> AuthorizedAccess {
        try TokenCheck.authorize(token ?? "", f.services, mode) { access, _ in access }
    }

    func refused(
        _ f: TokenFixture, _ token: String?, _ expected: AWSError, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(throws: expected, sourceLocation: sourceLocation) { try Self.check(f, token) }
    }

    /// Re-signs `claims` with `key` under `header`: forged or altered tokens.
    static func token(_ claims: [String: JSON], header: JSON, key: PoolKey?) throws -> String {
        let input = Base64URL.encode(header.serialized()) + "." + Base64URL.encode(JSON.object(claims).serialized())
        guard let key else { return input + "." }
        return input + "." + Base64URL.encode(try key.sign(Array(input.utf8)))
    }

    @Test func aValidTokenGivesTheUserClientAndClaims() throws {
        let f = try TokenFixture()
        let alice = try f.addUser()
        let (result, unsigned) = try f.signIn()
        let access = try Self.check(f, result.accessToken)
        #expect(access.poolId == f.poolId)
        #expect(access.user.sub == alice.sub && access.user.username == "alice")
        #expect(access.client.clientId == f.clientId)
        #expect(access.pool.id == f.poolId)
        #expect(access.claims == unsigned.accessClaims)

        // The two halves separately, the store half inside the caller's own exclusive transaction.
        let verified = try TokenCheck.verify(try #require(result.accessToken), f.services)
        #expect(verified.poolId == f.poolId && verified.username == "alice" && verified.clientId == f.clientId)
        let sub = try f.h.store.withPool(verified.poolId, .exclusive) { tx in try verified.confirm(in: tx).user.sub }
        #expect(sub == alice.sub)
    }

    @Test func expiry() throws {
        let f = try TokenFixture()
        try f.addUser()
        let token = try f.signIn().result.accessToken
        f.clock.advance(3599)
        _ = try Self.check(f, token)
        f.clock.advance(1)
        refused(f, token, TokenCheck.expired)
        f.clock.advance(86_400 * 365)
        refused(f, token, TokenCheck.expired)
    }

    @Test func anIDTokenIsNotAnAccessToken() throws {
        let f = try TokenFixture()
        try f.addUser()
        let result = try f.signIn().result
        refused(f, result.idToken, TokenCheck.invalid)
        refused(f, result.refreshToken, TokenCheck.invalid)
    }

    @Test func malformedForgedAndTamperedTokens() throws {
        let f = try TokenFixture()
        try f.addUser()
        let (result, unsigned) = try f.signIn()
        let key = try #require(try f.services.keys.keys(of: f.poolId, in: f.h.store)).signingKey
        let header = JSON.object(["alg": "RS256", "kid": .string(key.kid)])
        let good = try #require(result.accessToken)
        let parts = good.split(separator: ".").map(String.init)

        for garbage in ["", "abc", "a.b.c", good + "x", parts[0] + "." + parts[1], String(repeating: "a", count: 20_000)] {
            refused(f, garbage, TokenCheck.invalid)
        }
        // alg none, with and without a signature.
        let none = JSON.object(["alg": "none", "kid": .string(key.kid)])
        refused(f, try Self.token(unsigned.accessClaims, header: none, key: nil), TokenCheck.invalid)
        refused(f, try Self.token(unsigned.accessClaims, header: none, key: nil) + parts[2], TokenCheck.invalid)
        // HS256 keyed with the public key.
        let hsInput = Base64URL.encode(JSON.object(["alg": "HS256", "kid": .string(key.kid)]).serialized()) + "." + parts[1]
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array(hsInput.utf8), using: SymmetricKey(data: Array(key.publicKey.pemRepresentation.utf8)))
        refused(f, hsInput + "." + Base64URL.encode(Array(mac)), TokenCheck.invalid)

        // Tampered payload: another user's name, a later expiry, under the original signature.
        var claims = unsigned.accessClaims
        claims["exp"] = .int(4_000_000_000)
        refused(f, Base64URL.encode(header.serialized()) + "." + Base64URL.encode(JSON.object(claims).serialized()) + "." + parts[2],
                TokenCheck.invalid)
        // Our own key re-signing the original claims is accepted (the control for the forgeries above).
        _ = try Self.check(f, try Self.token(unsigned.accessClaims, header: header, key: key))
    }

    @Test func aTokenOfAnotherPoolOrIssuer() throws {
        let f = try TokenFixture()
        try f.addUser()
        let g = try TokenFixture(harness: f.h)
        try g.addUser()
        let (_, unsignedG) = try g.signIn()
        let keyG = try #require(try f.services.keys.keys(of: g.poolId, in: f.h.store)).signingKey
        let keyF = try #require(try f.services.keys.keys(of: f.poolId, in: f.h.store)).signingKey

        // Pool g's claims claiming pool f's issuer, signed with g's key (g's kid, or f's kid on g's key).
        var claims = unsignedG.accessClaims
        claims["iss"] = .string("http://127.0.0.1:8080/" + f.poolId)
        refused(f, try Self.token(claims, header: ["alg": "RS256", "kid": .string(keyG.kid)], key: keyG), TokenCheck.invalid)
        let impostor = PoolKey(copying: keyG, kid: keyF.kid)
        refused(f, try Self.token(claims, header: ["alg": "RS256", "kid": .string(keyF.kid)], key: impostor), TokenCheck.invalid)

        // Another issuer base, an unknown pool, a malformed pool id.
        for iss in ["https://evil.example.com/" + g.poolId, "http://127.0.0.1:8080/us-east-1_nothere00",
                    "http://127.0.0.1:8080/../" + g.poolId, "http://127.0.0.1:8080/" + g.poolId + "/",
                    "http://127.0.0.1:8080" + g.poolId] {
            claims["iss"] = .string(iss)
            refused(f, try Self.token(claims, header: ["alg": "RS256", "kid": .string(keyG.kid)], key: keyG), TokenCheck.invalid)
        }
    }

    @Test func deletedPool() throws {
        let f = try TokenFixture()
        try f.addUser()
        let token = try f.signIn().result.accessToken
        f.h.ok("DeleteUserPool", ["UserPoolId": .string(f.poolId)])
        refused(f, token, TokenCheck.invalid)
    }

    /// A token this process verified is not parsed and verified again; what can change is still checked on each use.
    @Test func aVerifiedTokenIsRememberedAndStillChecked() throws {
        let f = try TokenFixture()
        try f.addUser()
        let token = try #require(try f.signIn().result.accessToken)
        let cache = f.services.keys.verifiedTokens
        let first = try Self.check(f, token)
        let hits = cache.hits
        let again = try Self.check(f, token)
        #expect(cache.hits == hits + 1)
        #expect(again.claims == first.claims && again.user.sub == first.user.sub)

        // One byte off (the signature's last character) is another token: a miss, and refused.
        let last = token.last == "A" ? "B" : "A"
        refused(f, String(token.dropLast()) + last, TokenCheck.invalid)
        #expect(cache.hits == hits + 1)

        // Revocation and expiry are read afresh.
        try f.update { $0.signedOutAt = f.clock.now() + 1 }
        refused(f, token, TokenCheck.revoked)
        try f.update { $0.signedOutAt = nil }
        _ = try Self.check(f, token)
        f.clock.advance(3600)
        refused(f, token, TokenCheck.expired)
    }

    /// A remembered token whose key is gone (its pool deleted, or the key file removed) is refused.
    @Test func aRememberedTokenNeedsItsKey() throws {
        let f = try TokenFixture()
        try f.addUser()
        let token = try #require(try f.signIn().result.accessToken)
        _ = try Self.check(f, token)
        let keys = f.h.dir.path + "/pools/" + FileSystem.fileKey(f.poolId) + "/keys"
        let saved = try FileManager.default.contentsOfDirectory(atPath: keys)
        for name in saved { try FileManager.default.moveItem(atPath: keys + "/" + name, toPath: f.h.dir.path + "/" + name) }
        refused(f, token, TokenCheck.invalid)
        for name in saved { try FileManager.default.moveItem(atPath: f.h.dir.path + "/" + name, toPath: keys + "/" + name) }
        _ = try Self.check(f, token)
        f.h.ok("DeleteUserPool", ["UserPoolId": .string(f.poolId)])
        refused(f, token, TokenCheck.invalid)
    }

    @Test func deletedClient() throws {
        let f = try TokenFixture()
        try f.addUser()
        let token = try f.signIn().result.accessToken
        f.h.ok("DeleteUserPoolClient", ["UserPoolId": .string(f.poolId), "ClientId": .string(f.clientId)])
        refused(f, token, TokenCheck.invalid)
    }

    @Test func deletedAndRecreatedUser() throws {
        let f = try TokenFixture()
        try f.addUser()
        let token = try f.signIn().result.accessToken
        let pool = try f.pool()
        try f.h.store.withPool(f.poolId, .exclusive) { tx in
            try tx.deleteUser(try #require(try tx.user(named: "alice", in: pool)), in: pool)
        }
        refused(f, token, TokenCheck.userDoesNotExist)
        try f.addUser()  // same username, another sub
        refused(f, token, TokenCheck.userDoesNotExist)
    }

    @Test func disabledUser() throws {
        let f = try TokenFixture()
        try f.addUser()
        let token = try f.signIn().result.accessToken
        try f.update { $0.enabled = false }
        refused(f, token, TokenCheck.userDisabled)
        try f.update { $0.enabled = true }
        _ = try Self.check(f, token)
    }

    @Test func globalSignOut() throws {
        let f = try TokenFixture()
        try f.addUser()
        let before = try f.signIn().result.accessToken
        f.clock.advance(0.25)
        try f.update { $0.signedOutAt = f.clock.now() }
        refused(f, before, TokenCheck.revoked)
        // A sign-in later in the same second as the sign-out is not caught by it.
        f.clock.advance(0.25)
        let after = try f.signIn().result.accessToken
        _ = try Self.check(f, after)
        f.clock.advance(10)
        _ = try Self.check(f, after)
        refused(f, before, TokenCheck.revoked)
    }

    @Test func revokedOrigin() throws {
        let f = try TokenFixture()
        try f.addUser()
        let (a, unsignedA) = try f.signIn()
        let (b, _) = try f.signIn()
        let (refreshed, _) = try f.refresh(try #require(a.refreshToken))
        let origin = try #require(unsignedA.accessClaims["origin_jti"]?.stringValue)
        try f.update { RefreshTokens.revoke(originJti: origin, in: &$0) }
        refused(f, a.accessToken, TokenCheck.revoked)
        refused(f, refreshed.accessToken, TokenCheck.revoked)  // issued from the revoked refresh token too
        _ = try Self.check(f, b.accessToken)  // another sign-in is untouched

        // A token whose origin record is gone altogether is revoked as well.
        try f.update { $0.refreshTokens = [] }
        refused(f, b.accessToken, TokenCheck.revoked)
    }

    @Test func checkOrderPrefersInvalidOverExpired() throws {
        // A forged, expired token says "Invalid Access Token", never "has expired".
        let f = try TokenFixture()
        try f.addUser()
        let (result, unsigned) = try f.signIn()
        f.clock.advance(7200)
        refused(f, result.accessToken, TokenCheck.expired)
        var claims = unsigned.accessClaims
        claims["username"] = "mallory"
        let parts = try #require(result.accessToken).split(separator: ".").map(String.init)
        refused(f, parts[0] + "." + Base64URL.encode(JSON.object(claims).serialized()) + "." + parts[2], TokenCheck.invalid)
    }
}

extension TokenCheckTests {
    @Test func checkCost() throws {
        let f = try TokenFixture()
        try f.addUser()
        let token = try #require(try f.signIn().result.accessToken)
        _ = try Self.check(f, token)
        let rounds = 200
        let t0 = DispatchTime.now()
        for _ in 0..<rounds { _ = try TokenCheck.verify(token, f.services) }
        let t1 = DispatchTime.now()
        for _ in 0..<rounds { _ = try Self.check(f, token) }
        let t2 = DispatchTime.now()
        let verify = Double(t1.uptimeNanoseconds - t0.uptimeNanoseconds) / Double(rounds) / 1e6
        let full = Double(t2.uptimeNanoseconds - t1.uptimeNanoseconds) / Double(rounds) / 1e6
        print("TokenCheck: verify \(verify) ms, verify + confirm under LOCK_SH \(full) ms")
        #expect(f.services.keys.parses == 2)  // the pool's two keys were parsed once, not per check
    }
}

extension PoolKey {
    /// The same private key under another kid (a key of one pool posing as another's).
    init(copying key: PoolKey, kid: String) {
        // The stored record round-trips the private key; only the kid changes.
        var record = key.record.objectValue ?? [:]
        record["Kid"] = .string(kid)
        self = (try? PoolKey(record: .object(record))) ?? key
    }
}
