import Crypto
import Foundation
import Testing
import _CryptoExtras

@testable import Handlers

/// RS256 JWTs against tokens PyJWT made and verified, and every way a token is refused.
struct JWTTests {
    // MARK: Known vectors

    /// A fixed RSA-2048 key made with Python's `cryptography` (for tests only).
    static let pem = """
        -----BEGIN RSA PRIVATE KEY-----
        MIIEogIBAAKCAQEA0TwRQCO99Tu3zjdj2n7dlNXPgiZgcCpwze4k4QEUTZerhD/+
        tCAuwFlWIF1ZEGROOKyZqkuBYILF2A+hZWB9fYkOwsOrz0FiTzMAjxBhJbCnEXvW
        k7CVlAl1msw4q7c8ObLhKQq6jh6RlHIbFb/Ex+Z5VX19TWhfXpwZx6S3AiTL0MqT
        senDVsS0nVnzpNJowWYDYcjuX+F9EybRBMshbR8vbb1zylM9qPK0l18hHqgRVdOZ
        9PcoHFwWHOXnb8/5Rps9gSeGqDMMKOQkEOJ/1NBx2MC3KCgkkr5j//iN6z1Z81d/
        6roZWnwjHEOkDdRrPwjF03SkEboGXJPCQN61fwIDAQABAoIBABIFt4Kr0XfnHezw
        TnSKivF//TC7t4DR1weV5K1Q13vbfZWVoY3IW96Lk2SURdCooyg0jcPiXxF+EiaL
        Kh6+UfDXNmNGUW03t40U2o54HbYOYkWaQiBUjH3E1tFvl84KqXBa3RQY7XrCXU3J
        ClY0P3HsgzT+6yUYwWY30eylXnIbqzVJq39i7mikHe8budEV7lz9y4vk7XEF67O5
        /WHCCIyG4XiBD1XLK9z5XkrGBSBMI/O2efqCZfdRIEtqePfzKDhkYN0oVcXmG4uN
        bW/tmflFRkGwqXcyhf9h9IAeiv6Kqdr6C1JO/mrYAvdGH1yeV5pvbSVqgqL0Nn36
        uVeNwQkCgYEA/6M2BM/zva9W8PprsZRTe7XgskazxbSMBXHlh/O2ATP/1BLC4oyi
        ryn5gtoMGd041ah7H3JzvvfKQP9FQAp+RAFn3UpAaSllyTaeqcbFahqF1DBMfUD/
        B/ikPTspbv57xIbMur7+QOT9rr76qGKXArEkuZW+jNH2eQsg+5Iw0UMCgYEA0YgD
        csNgMgaMh9roaUz1Z6ET07o9O6C0n7CY5X1njtn1f8D97jcAEgyiym0WFSnixfSd
        veZ+IOnWX64rC1PmLQOwNmCpNz5R2Cmwr2xld7wMggqj4b/MIrp77lmlNl3rbHGr
        0RT0LrjGEhQKgeqPzI+RQgh8cuFOkxGhm6H6GRUCgYAXtkzpb1ydiKkY2zGoHCkO
        PZWlE7fTK+cdDi6LSMjmHauqQT9AgmkItG0HfTBIKeP+tY0OIrCn0xY4pzUGNrL1
        nefDeAK3fnaJjn5zIxPmvqURRJWjvKarV53sbBNwzzwtw48z90lgPZ1mWyKnAdYe
        Es5kRIaTS1qAac7aZvoOPwKBgEHDF5n4WgO5bHfjK9iIz+jjdE6agEdrq+UGzyYP
        0uXR4KxlDQ2r83i2wI0Z6blguQz6Nlv4sJNx8Nd82YOnpHFyW+blNZbiF1vp0ctt
        EPegbKiP4FmlEdPAhc8MEb9bgN07W/q2QeE8GuZnpdianuFMGgIImc6QilG8UeV/
        0/f1AoGAMiY4wJaWBtYooih5GxBdkXgWKCoJBG/JoZ4k8YMT56GCAV5ox6DRmNDK
        pnEelPk8YdpPDA7z75XmIjfyElMkahPKHHAIcj6tMKukwjxzYV6FVl9ft0XW6si/
        iPK0CEutRRX+qegMKePWL/QG+pWTMjOpyczZelWfyRoEXVuoDfQ=
        -----END RSA PRIVATE KEY-----
        """

    /// `jwt.encode(claims, key, algorithm="RS256", headers={"kid": "python-kid"})` with PyJWT 2.15.1.
    static let pyjwtToken =
        "eyJhbGciOiJSUzI1NiIsImtpZCI6InB5dGhvbi1raWQiLCJ0eXAiOiJKV1QifQ.eyJzdWIiOiI4YjBhNWU2Yy0xZjJlLTRkM2MtOWE4Yi03YzZkNWU0ZjNhMmIiLCJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjgwODAvdXMtZWFzdC0xX1ZlY3RvcnMwMSIsInRva2VuX3VzZSI6ImFjY2VzcyIsImNsaWVudF9pZCI6ImFiYyIsImV4cCI6MjAwMDAwMDAwMCwiaWF0IjoxNzkwMDAwMDAwLCJ1c2VybmFtZSI6ImFsaWNlIiwiY29nbml0bzp1c2VybmFtZSI6Ilx1MDBlNGxpY2UifQ.rsmGM0NFOvpRb0NK6fnlmmRaxgD17yfoarrjdKcuBIDKWuoPh5Ht4UAHzDe6Q4mNnRH3hfJQrSvnzWbuhtizE3ZAj4dORi8dCLgiAvIi0LQwNIgyAHln3jl9s_CJcnDWtS0XUUTF88eHpMKTlHJ7I86eIjJ6APqsS_aYrP8LPfUop8WKjDWvxr_r7CYMQRjlsyGO11GSu3uftJXmly2UCGB9K0-x2hS0mrCXJwOsYUycY20CI6IkwHr-9yJ20OUVZ0a1UnqVL4ER0DfuitBOiDyTOwhcytuamJM4DHYAECLlnMP6mfibAYkIkZnwCjJoNBJFkoCmdiSAjs119fbGTA"

    static let claims: [String: JSON] = [
        "sub": "8b0a5e6c-1f2e-4d3c-9a8b-7c6d5e4f3a2b", "iss": "http://127.0.0.1:8080/us-east-1_Vectors01",
        "token_use": "access", "client_id": "abc", "exp": 2_000_000_000, "iat": 1_790_000_000, "username": "alice",
        "cognito:username": "älice",
    ]

    /// What `JWT.sign(claims, with: key)` makes (RS256 is deterministic), checked once by hand with
    /// `jwt.decode(token, public_key, algorithms=["RS256"])` (PyJWT 2.15.1): it verifies and decodes to `claims`.
    static let swiftToken =
        "eyJhbGciOiJSUzI1NiIsImtpZCI6InB5dGhvbi1raWQifQ.eyJjbGllbnRfaWQiOiJhYmMiLCJjb2duaXRvOnVzZXJuYW1lIjoiw6RsaWNlIiwiZXhwIjoyMDAwMDAwMDAwLCJpYXQiOjE3OTAwMDAwMDAsImlzcyI6Imh0dHA6Ly8xMjcuMC4wLjE6ODA4MC91cy1lYXN0LTFfVmVjdG9yczAxIiwic3ViIjoiOGIwYTVlNmMtMWYyZS00ZDNjLTlhOGItN2M2ZDVlNGYzYTJiIiwidG9rZW5fdXNlIjoiYWNjZXNzIiwidXNlcm5hbWUiOiJhbGljZSJ9.xPlVMr2Ft8NaMWnjWZ7YLTxcwahTSj6akJ1WM8mL3HUqh9d-XiajossbRbafIs2W1Vci2O8X5Q4-FIPQDN6tg7ex88xEn2QGmuvvfqDs_ePuO5By1k3g5fdrD3z_1ZDV0zwUFnJpKkuSfIC-HvDFHRvzg5cxlsanM4QL8Fx-LJQxbCjWSwKGXEVm4gr-tgUw5Vs-kzX5Qe4MASIa8UbyBgBpyD2YNmZhSjpZ6VlGqxXpTBbWIp5G8r-RYtWz942UwVACyT9GTfq8cF0NqivmNSAERtQ6G9rKWzlaT9kwRhnrPURswaLZZoGEYQbjMUsHfzKS4Wq3hIBOd3LmHvJsUQ"

    static func key(_ kid: String = "python-kid") throws -> PoolKey {
        try PoolKey(kid: kid, created: Date(timeIntervalSince1970: 0), privateKey: .init(pemRepresentation: pem))
    }

    static func keys(_ kid: String = "python-kid") throws -> PoolKeySet {
        try #require(PoolKeySet([key(kid)]))
    }

    @Test func verifiesATokenPyJWTMade() throws {
        let jwt = try JWT(parsing: Self.pyjwtToken)
        try jwt.verify(with: Self.keys())
        #expect(jwt.header == ["alg": "RS256", "kid": "python-kid", "typ": "JWT"])
        #expect(jwt.claims == Self.claims)
    }

    @Test func signsWhatPyJWTVerifies() throws {
        let token = try JWT.sign(Self.claims, with: Self.key())
        #expect(token == Self.swiftToken)
        let jwt = try JWT(parsing: token)
        try jwt.verify(with: Self.keys())
        #expect(jwt.header == ["alg": "RS256", "kid": "python-kid"])
        #expect(jwt.claims == Self.claims)
    }

    @Test func publicJWKMatchesPython() throws {
        // n and e as Python's cryptography gives them for this key (base64url, no leading zero byte).
        let jwk = try Self.key().jwk
        #expect(jwk == [
            "kty": "RSA", "alg": "RS256", "use": "sig", "kid": "python-kid", "e": "AQAB",
            "n": "0TwRQCO99Tu3zjdj2n7dlNXPgiZgcCpwze4k4QEUTZerhD_-tCAuwFlWIF1ZEGROOKyZqkuBYILF2A-hZWB9fYkOwsOrz0FiTzMAjxBhJbCnEXvWk7CVlAl1msw4q7c8ObLhKQq6jh6RlHIbFb_Ex-Z5VX19TWhfXpwZx6S3AiTL0MqTsenDVsS0nVnzpNJowWYDYcjuX-F9EybRBMshbR8vbb1zylM9qPK0l18hHqgRVdOZ9PcoHFwWHOXnb8_5Rps9gSeGqDMMKOQkEOJ_1NBx2MC3KCgkkr5j__iN6z1Z81d_6roZWnwjHEOkDdRrPwjF03SkEboGXJPCQN61fw",
        ])
    }

    // MARK: Refusals

    static func segment(_ json: String) -> String { Base64URL.encode(Array(json.utf8)) }

    static func parts(_ token: String) -> [String] { token.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }

    func refused(
        _ token: String, _ failure: JWT.Failure, _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let keys = try Self.keys()
        #expect(throws: failure, comment, sourceLocation: sourceLocation) {
            try JWT(parsing: token).verify(with: keys)
        }
    }

    @Test func refusesAlgNone() throws {
        let p = Self.parts(Self.pyjwtToken)
        try refused(Self.segment(#"{"alg":"none","typ":"JWT"}"#) + "." + p[1] + ".", .unsupportedAlgorithm)
        try refused(Self.segment(#"{"alg":"none","kid":"python-kid"}"#) + "." + p[1] + "." + p[2], .unsupportedAlgorithm)
    }

    @Test func refusesHS256MadeWithThePublicKey() throws {
        // The classic confusion: HMAC keyed with the public key's PEM, which a naive verifier would accept.
        let p = Self.parts(Self.pyjwtToken)
        let input = Self.segment(#"{"alg":"HS256","kid":"python-kid"}"#) + "." + p[1]
        let publicPEM = try Self.key().publicKey.pemRepresentation
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: Array(publicPEM.utf8)))
        try refused(input + "." + Base64URL.encode(Array(mac)), .unsupportedAlgorithm)
    }

    @Test func refusesOtherAlgorithmsAndCriticalHeaders() throws {
        let p = Self.parts(Self.pyjwtToken)
        for header in [#"{"alg":"rs256","kid":"python-kid"}"#, #"{"alg":"RS512","kid":"python-kid"}"#,
                       #"{"alg":"PS256","kid":"python-kid"}"#, #"{"kid":"python-kid"}"#, #"{"alg":["RS256"]}"#,
                       #"{"alg":"RS256","kid":"python-kid","crit":["exp"],"exp":1}"#] {
            try refused(Self.segment(header) + "." + p[1] + "." + p[2], .unsupportedAlgorithm)
        }
    }

    @Test func refusesMalformedTokens() throws {
        let p = Self.parts(Self.pyjwtToken)
        let good = p[0] + "." + p[1] + "." + p[2]
        let cases = [
            "", ".", "..", "...", p[0] + "." + p[1], good + ".", good + "." + p[2], "a.b.c",
            p[0] + "=." + p[1] + "." + p[2],                   // padding
            p[0] + "." + p[1] + "." + p[2] + "=",
            p[0] + "." + p[1] + "." + p[2].replacingOccurrences(of: "-", with: "+"),  // base64, not base64url
            p[0] + "." + p[1] + "." + p[2].replacingOccurrences(of: "_", with: "/"),
            p[0] + "." + p[1] + "!" + "." + p[2],
            p[0] + "." + p[1] + "." + p[2].dropLast() + "B",  // non-canonical last character (AA -> AB)
            Self.segment("[1]") + "." + p[1] + "." + p[2],    // header not an object
            Self.segment("{") + "." + p[1] + "." + p[2],
            p[0] + "." + Self.segment("\"claims\"") + "." + p[2],
            p[0] + "." + Self.segment(#"{"sub":"a","sub":"b"}"#) + "." + p[2],  // duplicate member
            p[0] + "." + String(repeating: "A", count: JWT.maxLength) + "." + p[2],
            good.replacingOccurrences(of: ".", with: " . "),
        ]
        for (i, token) in cases.enumerated() {
            try refused(token, .malformed, "case \(i)")
        }
    }

    @Test func refusesUnknownKid() throws {
        let p = Self.parts(Self.pyjwtToken)
        let keys = try Self.keys("another-kid")
        #expect(throws: JWT.Failure.unknownKey) { try JWT(parsing: Self.pyjwtToken).verify(with: keys) }
        // No kid at all.
        try refused(Self.segment(#"{"alg":"RS256"}"#) + "." + p[1] + "." + p[2], .unknownKey)
    }

    @Test func refusesBadSignatures() throws {
        let p = Self.parts(Self.pyjwtToken)
        // Tampered claims under the original signature.
        var claims = Self.claims
        claims["username"] = "mallory"
        try refused(p[0] + "." + Base64URL.encode(JSON.object(claims).serialized()) + "." + p[2], .badSignature)
        // A flipped signature byte, a truncated signature, an empty one.
        var sig = try #require(Base64URL.decode(p[2]))
        sig[17] ^= 0x01
        try refused(p[0] + "." + p[1] + "." + Base64URL.encode(sig), .badSignature)
        try refused(p[0] + "." + p[1] + "." + Base64URL.encode(sig.dropLast(1)), .badSignature)
        try refused(p[0] + "." + p[1] + ".", .badSignature)
        // Same kid, another key.
        let other = try PoolKey(kid: "python-kid", created: Date(), privateKey: .init(keySize: .bits2048))
        let forged = try JWT.sign(Self.claims, with: other)
        try refused(forged, .badSignature)
        // The header the signature covers is part of it too.
        try refused(Self.segment(#"{"alg":"RS256","kid":"python-kid"}"#) + "." + p[1] + "." + p[2], .badSignature)
    }

    // MARK: Timing

    @Test func signAndVerifyCost() throws {
        let key = try Self.key()
        let keys = try Self.keys()
        let rounds = 200
        let t0 = DispatchTime.now()
        var tokens: [String] = []
        for i in 0..<rounds {
            var c = Self.claims
            c["iat"] = .int(i)
            tokens.append(try JWT.sign(c, with: key))
        }
        let t1 = DispatchTime.now()
        for token in tokens { try JWT(parsing: token).verify(with: keys) }
        let t2 = DispatchTime.now()
        let sign = Double(t1.uptimeNanoseconds - t0.uptimeNanoseconds) / Double(rounds) / 1e6
        let verify = Double(t2.uptimeNanoseconds - t1.uptimeNanoseconds) / Double(rounds) / 1e6
        print("JWT RS256: sign \(sign) ms, parse+verify \(verify) ms per token")
        #expect(sign < 50 && verify < 10)
    }
}
