import Foundation
import Testing

@testable import Handlers

/// The byte-level SigV4 paths against the general ones they replace on the hot path, and the signing-key cache:
/// the verdicts and error texts must not change, and a replaced secret must never verify with a cached key.
struct SigV4FastPathTests {
    /// SplitMix64: generated inputs are the same on every run, so a failure names a reproducible input.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    }

    /// Every ASCII byte, so control characters and DEL meet the whitespace rules too.
    static let allASCII = (0..<128).map { String(UnicodeScalar(UInt8($0))) }

    /// Pieces a header is generated from: real parameters, near misses, every kind of ASCII blank and separator.
    static let headerPieces: [String] =
        [
            "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512", "aws4-hmac-sha256", "Bearer", " ", " ", "  ", "\t", "\n", "\r",
            "\r\n", "\u{0B}", "\u{0C}", "\u{1C}", "\u{1F}", "\u{7F}", ",", ",", ", ", "=", "==", "/", ";",
            "Credential=", "Credential", "credential=", "Signature=", "Signature", "SignedHeaders=", "SignedHeaders",
            " Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/cognito-idp/aws4_request",
            "AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/cognito-idp/aws4_request", "AKIA//20261128/x/y/z",
            "a/b/c/d/e", "a/b/c/d/e/f", "host;x-amz-date", "HOST;X-Amz-Date",
            "content-type;host;x-amz-date;x-amz-target",
            ";host", "host;", "abc.def", "4fd1fd2e2f6b79e4eed923f35bcbfddb3ce8c582669b34518a9ff0ce5b1cb349", "x", "",
        ] + allASCII

    enum Outcome: Equatable {
        case parsed(SigV4Verifier.SignedRequest)
        case refused(AWSError)
    }

    static func outcome(_ body: () throws(AWSError) -> SigV4Verifier.SignedRequest) -> Outcome {
        do {
            return .parsed(try body())
        } catch {
            return .refused(error)
        }
    }

    /// The request each generated header is tried on: with X-Amz-Date, with only a Date header, or with neither.
    static func requests(_ header: String) -> [Request] {
        var amz = SigV4Tests.jsonCall
        amz.headers["authorization"] = header
        var date = SigV4Tests.dateHeaderCall
        date.headers["authorization"] = header
        var none = amz
        none.headers["x-amz-date"] = nil
        return [amz, date, none]
    }

    @Test func asciiHeaderParserAgreesWithGeneralParser() {
        let verifier = SigV4Tests.verifier()
        var random = Generator(state: 0x5167_4E00)
        var headers = SigV4Tests.vectors.values.compactMap { $0.headers["authorization"] }
        for _ in 0..<6_000 {
            headers.append((0..<random.below(12)).map { _ in random.pick(Self.headerPieces) }.joined())
        }
        // Well-formed headers with one piece swapped in somewhere: reaches the checks after the parameters.
        let good = SigV4Tests.jsonCall.headers["authorization"]!
        for _ in 0..<3_000 {
            var bytes = Array(good.utf8)
            let at = random.below(bytes.count + 1)
            let piece = Array(random.pick(Self.headerPieces).utf8)
            if random.below(2) == 0, at < bytes.count {
                bytes.replaceSubrange(at..<min(bytes.count, at + random.below(4) + 1), with: piece)
            } else {
                bytes.insert(contentsOf: piece, at: at)
            }
            headers.append(String(decoding: bytes, as: UTF8.self))
        }
        // Parameters repeated, in any order: the first of each name must win in both.
        let parameters = [
            "Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-east-1/cognito-idp/aws4_request",
            "Credential=AKIAOTHER/20261128/eu-west-1/cognito-idp/aws4_request", "SignedHeaders=host;x-amz-date",
            "SignedHeaders=content-type;host", "Signature=0123", "Signature=abcd", "Other=1", "credential=x",
        ]
        for _ in 0..<1_000 {
            let chosen = (0..<(3 + random.below(4))).map { _ in random.pick(parameters) }
            headers.append("AWS4-HMAC-SHA256 " + chosen.joined(separator: random.pick([",", ", ", " ,\t"])))
        }
        var parsed = 0
        for header in headers {
            let bytes = Array(header.utf8)
            guard bytes.allSatisfy({ $0 < 0x80 }), !bytes.allSatisfy(SigV4Verifier.isWhitespace) else { continue }
            for request in Self.requests(header) {
                let fast = Self.outcome { () throws(AWSError) in
                    try verifier.parseHeaderASCII(header, bytes, request: request)
                }
                let general = Self.outcome { () throws(AWSError) in
                    try verifier.parseHeaderUnicode(header, request: request)
                }
                #expect(fast == general, "header \(Array(header.utf8))")
                if case .parsed = fast { parsed += 1 }
            }
        }
        // The generator must reach both verdicts, or the comparison proves little.
        #expect(parsed > 100)
    }

    @Test func whitespaceRulesOnBytesMatchCharacterRules() {
        for b in UInt8(0)..<128 {
            let scalar = Unicode.Scalar(b)
            #expect(SigV4Verifier.isWhitespace(b) == Character(scalar).isWhitespace, "byte \(b)")
            #expect(SigV4Verifier.isBlank(b) == CharacterSet.whitespaces.contains(scalar), "byte \(b)")
        }
    }

    @Test func byteHelpersAgreeWithStringOperations() {
        var random = Generator(state: 42)
        let pieces = Self.allASCII + ["  ", "\r\n", "/", ";", "ab", "HOST", "é", "\u{301}", "Ä", "\u{2003}", "\u{85}"]
        for _ in 0..<4_000 {
            let text = (0..<random.below(10)).map { _ in random.pick(pieces) }.joined()
            #expect(
                SigV4Verifier.trimAll(text) == text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " "),
                "\(Array(text.utf8))")
            for separator in [UInt8(ascii: "/"), UInt8(ascii: ";")] {
                #expect(
                    SigV4Verifier.split(text, on: separator)
                        == text.split(separator: Character(Unicode.Scalar(separator)), omittingEmptySubsequences: false)
                        .map(String.init),
                    "\(Array(text.utf8))")
            }
            #expect(SigV4Verifier.lowercased(text) == text.lowercased())
        }
    }

    @Test func nonASCIIHeaderKeepsItsErrors() {
        // Never sent by an SDK; goes through the general parser, with the texts it always had.
        let header = "Bearer é"
        #expect(
            SigV4Tests.error(SigV4Tests.replacing(SigV4Tests.jsonCall, header: "Authorization", with: header))
                == AWSError(
                    .incompleteSignature,
                    "'é' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer é'."))
        let signature = SigV4Tests.jsonCall.headers["authorization"]!.replacingOccurrences(
            of: "Signature=4fd1", with: "Signature=é4fd1")
        #expect(
            SigV4Tests.error(SigV4Tests.replacing(SigV4Tests.jsonCall, header: "Authorization", with: signature))
                == AWSError(.invalidSignature, SigV4Tests.mismatch))
        #expect(
            SigV4Tests.error(SigV4Tests.replacing(SigV4Tests.jsonCall, header: "Authorization", with: "\u{2003}"))
                == AWSError(.missingAuthenticationToken, "Missing Authentication Token"))
    }

    @Test func basicTimestampsAtTheEdges() {
        #expect(UTCTime.basic(-1) == "19691231T235959Z")
        #expect(UTCTime.basic(253_402_300_799) == "99991231T235959Z")
        // Past four digits of year, the general formatting, as before.
        #expect(UTCTime.basic(253_402_300_800) == "100000101T000000Z")
        #expect(UTCTime.basic(951_782_400) == "20000229T000000Z")
    }

    // MARK: The signing-key cache

    static func verdict(_ verifier: SigV4Verifier, _ request: Request, now: Date = SigV4Tests.signedAt) -> AWSError? {
        do {
            try verifier.verify(request, now: now)
            return nil
        } catch {
            return error
        }
    }

    static func verifier(_ keys: [AccessKey], cache: SigningKeyCache) -> SigV4Verifier {
        SigV4Verifier(credentials: StaticCredentials(keys), mode: .sigv4, service: "cognito-idp", signingKeys: cache)
    }

    /// The vectors, and each with its body, a signed header or its signature changed.
    static var cases: [Request] {
        SigV4Tests.vectors.keys.sorted().flatMap { name -> [Request] in
            let request = SigV4Tests.vectors[name]!
            var body = request
            body.body += Array(" ".utf8)
            var host = request
            host.headers["host"] = "elsewhere:8080"
            var signature = request
            func flipLast(_ text: String) -> String { String(text.dropLast()) + (text.hasSuffix("0") ? "1" : "0") }
            if let header = request.headers["authorization"] {
                signature.headers["authorization"] = flipLast(header)
            } else {
                signature.query = flipLast(request.query)
            }
            return [request, body, host, signature]
        }
    }

    @Test func cachedKeysGiveTheVerdictsOfFreshKeys() {
        let uncached = Self.verifier([SigV4Tests.key], cache: SigningKeyCache(capacity: 0))
        let cached = Self.verifier([SigV4Tests.key], cache: SigningKeyCache(capacity: 8))
        var accepted = 0
        var refused = 0
        for round in 0..<2 {
            for request in Self.cases {
                let expected = Self.verdict(uncached, request)
                #expect(Self.verdict(cached, request) == expected, "round \(round)")
                if expected == nil { accepted += 1 } else { refused += 1 }
            }
        }
        // Every vector passes; every change fails.
        #expect(accepted == 2 * SigV4Tests.vectors.count)
        #expect(refused == 2 * 3 * SigV4Tests.vectors.count)
        #expect(cached.signingKeys.count == 2)  // us-east-1 and eu-west-3, one day
        #expect(uncached.signingKeys.count == 0)
    }

    @Test func cachedSignerSignsAsTheDerivedKey() throws {
        let cache = SigningKeyCache(capacity: 4)
        let verifier = Self.verifier([SigV4Tests.key], cache: cache)
        try verifier.verify(SigV4Tests.jsonCall, now: SigV4Tests.signedAt)
        let scope = SigningKeyCache.Key(
            secret: SigV4Tests.key.secretAccessKey, date: "20261128", region: "us-east-1", service: "cognito-idp")
        var mac = try #require(cache.signer(for: scope))
        mac.update(data: Array("string to sign".utf8))
        let key = SigV4Verifier.signingKey(
            secret: scope.secret, date: scope.date, region: scope.region, service: scope.service)
        #expect(
            String(decoding: Hex.encodedBytes(mac.finalize()), as: UTF8.self)
                == SigV4Verifier.signature(key: key, stringToSign: "string to sign"))
    }

    @Test func onlyKeysThatVerifiedAreKept() throws {
        let cache = SigningKeyCache(capacity: 4)
        let verifier = Self.verifier([SigV4Tests.key], cache: cache)
        // A known key id with forged signatures in made-up regions: refused, and nothing kept.
        for region in ["xx-fake-1", "xx-fake-2", "xx-fake-3", "xx-fake-4", "xx-fake-5"] {
            let forged = SigV4Tests.withCredential("AKIAIOSFODNN7EXAMPLE/20261128/\(region)/cognito-idp/aws4_request")
            #expect(Self.verdict(verifier, forged) == AWSError(.invalidSignature, SigV4Tests.mismatch))
        }
        var tampered = SigV4Tests.jsonCall
        tampered.body = Array("{}".utf8)
        #expect(Self.verdict(verifier, tampered) == AWSError(.invalidSignature, SigV4Tests.mismatch))
        #expect(cache.count == 0)
        try verifier.verify(SigV4Tests.jsonCall, now: SigV4Tests.signedAt)
        #expect(cache.count == 1)
        // A cached key still refuses what it did not sign.
        #expect(Self.verdict(verifier, tampered) == AWSError(.invalidSignature, SigV4Tests.mismatch))
    }

    @Test func replacedSecretIsRefusedAfterTheOldOneWasCached() throws {
        let cache = SigningKeyCache(capacity: 8)
        try Self.verifier([SigV4Tests.key], cache: cache).verify(SigV4Tests.jsonCall, now: SigV4Tests.signedAt)
        #expect(cache.count == 1)
        // Same access key id, same day and scope, a new secret: the old signature must not pass.
        let rotated = AccessKey(
            accessKeyId: SigV4Tests.key.accessKeyId, secretAccessKey: "n3wS3cretN3wS3cretN3wS3cretN3wS3cretN3wS",
            created: "")
        let verifier = Self.verifier([rotated], cache: cache)
        #expect(Self.verdict(verifier, SigV4Tests.jsonCall) == AWSError(.invalidSignature, SigV4Tests.mismatch))
        var unsigned = SigV4Tests.jsonCall
        unsigned.headers["authorization"] = nil
        let resigned = SigV4Tests.signed(unsigned, with: rotated, at: SigV4Tests.signedAt)
        try verifier.verify(resigned, now: SigV4Tests.signedAt)
        // And back: the first secret's key is still there, and right for that secret only.
        #expect(Self.verdict(Self.verifier([SigV4Tests.key], cache: cache), SigV4Tests.jsonCall) == nil)
    }

    @Test func secretReplacedInTheCredentialsFileIsRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sigv4-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = CredentialsFile(dataDirectory: directory)
        let cache = SigningKeyCache(capacity: 8)
        let verifier = SigV4Verifier(credentials: file, mode: .sigv4, service: "cognito-idp", signingKeys: cache)
        let now = SigV4Tests.signedAt
        let first = try file.create(random: SystemRandom(), now: now)
        var unsigned = SigV4Tests.jsonCall
        unsigned.headers["authorization"] = nil
        let old = SigV4Tests.signed(unsigned, with: first, at: now)
        try verifier.verify(old, now: now)
        #expect(cache.count == 1)

        // The operator replaces the secret of the same key id, as a rotation by hand would.
        let rotated = AccessKey(
            accessKeyId: first.accessKeyId, secretAccessKey: String(first.secretAccessKey.reversed()),
            created: first.created)
        let json = try JSONEncoder().encode(["keys": [rotated]])
        try FileSystem.writeAtomically(file.path, Array(json), mode: 0o600)
        #expect(Self.verdict(verifier, old, now: now) == AWSError(.invalidSignature, SigV4Tests.mismatch))
        try verifier.verify(SigV4Tests.signed(unsigned, with: rotated, at: now), now: now)
    }

    @Test func cacheStaysWithinItsCapacity() throws {
        let keys = (0..<10).map {
            AccessKey(accessKeyId: "AKIATEST\($0)", secretAccessKey: "secret-\($0)", created: "")
        }
        let cache = SigningKeyCache(capacity: 4)
        let verifier = Self.verifier(keys, cache: cache)
        var unsigned = SigV4Tests.jsonCall
        unsigned.headers["authorization"] = nil
        for _ in 0..<2 {
            for key in keys {
                let request = SigV4Tests.signed(unsigned, with: key, at: SigV4Tests.signedAt)
                try verifier.verify(request, now: SigV4Tests.signedAt)
                #expect(cache.count <= 4)
            }
        }
        #expect(cache.count == 4)
    }

    @Test func cacheIsSafeAcrossThreads() {
        let keys = (0..<6).map {
            AccessKey(accessKeyId: "AKIATHREAD\($0)", secretAccessKey: "thread-secret-\($0)", created: "")
        }
        // Fewer slots than keys, so threads insert and evict while others read.
        let verifier = Self.verifier(keys, cache: SigningKeyCache(capacity: 3))
        var unsigned = SigV4Tests.jsonCall
        unsigned.headers["authorization"] = nil
        let good = keys.map { SigV4Tests.signed(unsigned, with: $0, at: SigV4Tests.signedAt) }
        let bad = good.map { request -> Request in
            var copy = request
            copy.body += Array(" ".utf8)
            return copy
        }
        let failures = NSLock()
        nonisolated(unsafe) var wrong = 0
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for i in 0..<300 {
                let index = (thread + i) % keys.count
                let accepted = Self.verdict(verifier, good[index]) == nil
                let refused = Self.verdict(verifier, bad[index]) == AWSError(.invalidSignature, SigV4Tests.mismatch)
                if !accepted || !refused { failures.withLock { wrong += 1 } }
            }
        }
        #expect(wrong == 0)
    }
}
