import Foundation
import Testing
import _CryptoExtras

@testable import Handlers

/// Per-pool RSA keys: made with the pool, stored 0600, parsed once per process, revalidated against the files.
struct PoolKeysTests {
    static func createPool(_ h: Harness, _ name: String = "keys") throws -> String {
        let out = h.ok("CreateUserPool", ["PoolName": .string(name)])
        return try #require(out["UserPool"]?["Id"]?.stringValue)
    }

    static func keysFolder(_ h: Harness, _ poolId: String) -> String {
        h.dir.path + "/pools/" + FileSystem.fileKey(poolId) + "/keys"
    }

    static func keyFiles(_ h: Harness, _ poolId: String) throws -> [String] {
        try FileSystem.list(keysFolder(h, poolId)).filter { $0.hasSuffix(".json") }.sorted()
    }

    /// Two keys, as AWS makes two key pairs per pool: one signs access tokens, the other ID tokens.
    @Test func createUserPoolMakesTwoKeysStoredPrivately() throws {
        let h = try Harness()
        let poolId = try Self.createPool(h)
        let files = try Self.keyFiles(h, poolId)
        try #require(files.count == 2)
        let folder = try FileManager.default.attributesOfItem(atPath: Self.keysFolder(h, poolId))
        #expect((folder[.posixPermissions] as? Int) == 0o700)
        var kids: [String: String] = [:]
        for file in files {
            let path = Self.keysFolder(h, poolId) + "/" + file
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let record = try JSON.parse(try #require(try FileSystem.read(path)))
            let kid = try #require(record["Kid"]?.stringValue)
            #expect(file == FileSystem.fileKey(kid) + ".json")
            #expect(record["Algorithm"] == "RS256")
            #expect(record["Created"] == .int(1_790_000_000))
            #expect(record["PrivateKey"]?.stringValue?.hasPrefix("-----BEGIN RSA PRIVATE KEY-----") == true)
            kids[try #require(record["Use"]?.stringValue)] = kid
        }
        let kid = try #require(kids["access"])

        let set = try #require(try h.services.keys.keys(of: poolId, in: h.store))
        #expect(set.keys.count == 2)
        #expect(set.signingKey.kid == kid && set.signingKey.use == .access)
        #expect(set.idTokenKey.kid == kids["id"] && set.idTokenKey.use == .id && set.idTokenKey.kid != kid)
        #expect(set.signingKey.publicKey.keySizeInBits == 2048)
        // The kid is the key's SHA-256 thumbprint in standard base64, as long as AWS's kids.
        #expect(kid == PoolKey.thumbprint(set.signingKey.publicKey))
        #expect(kid.count == 44 && kid.hasSuffix("="))
        let jwk = set.signingKey.jwk
        #expect(jwk["kty"] == "RSA" && jwk["alg"] == "RS256" && jwk["use"] == "sig" && jwk["kid"] == .string(kid))
        #expect(jwk["e"] == "AQAB")
        // 2048 bits = 256 bytes = 342 base64url characters, so no leading zero byte crept in.
        #expect(jwk["n"]?.stringValue?.count == 342)
        #expect(jwk.objectValue?.count == 6)
    }

    /// A pool made when pools had one key (no `Use` in its record) goes on signing both tokens with it.
    @Test func aPoolWithOneKeySignsBothTokensWithIt() throws {
        let f = try TokenFixture()
        let folder = Self.keysFolder(f.h, f.poolId)
        FileSystem.removeTree(folder)
        let legacy = try PoolKey.generate(now: f.clock.now()) { try .init(keySize: .bits2048) }
        #expect(legacy.record["Use"] == nil)
        try FileSystem.makeDirectory(folder)
        try FileSystem.writeAtomically(folder + "/" + FileSystem.fileKey(legacy.kid) + ".json", legacy.record.serialized())
        try f.addUser()
        let result = try f.signIn().result
        #expect(try JWT(parsing: try #require(result.accessToken)).kid == legacy.kid)
        #expect(try JWT(parsing: try #require(result.idToken)).kid == legacy.kid)
        #expect(try Self.keyFiles(f.h, f.poolId).count == 1)
    }

    @Test func aKeyForAnUnknownUseIsMalformed() throws {
        let key = try PoolKey.generate(now: Date(timeIntervalSince1970: 0), use: .id) { try .init(keySize: .bits2048) }
        #expect(try PoolKey(record: key.record).use == .id)
        var fields = try #require(key.record.objectValue)
        for bad: JSON in ["refresh", "", 1, .null] {
            fields["Use"] = bad
            #expect(throws: RecordError.self) { try PoolKey(record: .object(fields)) }
        }
    }

    @Test func eachPoolHasItsOwnKey() throws {
        let h = try Harness()
        // Real key generation, whatever the harness's cache does.
        let services = Services(
            config: h.services.config, store: h.store, clock: h.clock, logger: h.services.logger, keys: PoolKeyCache())
        let a = try #require(try CreateUserPool(services).run(CreateUserPoolInput(poolName: "a")).userPool?.id)
        let b = try #require(try CreateUserPool(services).run(CreateUserPoolInput(poolName: "b")).userPool?.id)
        let ka = try #require(try h.services.keys.keys(of: a, in: h.store)).signingKey
        let kb = try #require(try h.services.keys.keys(of: b, in: h.store)).signingKey
        #expect(ka.kid != kb.kid)
        #expect(ka.jwk["n"] != kb.jwk["n"])
    }

    @Test func keysAreParsedOnceAndReused() throws {
        let h = try Harness()
        let poolId = try Self.createPool(h)
        let cache = h.services.keys
        #expect(cache.parses == 0)
        let first = try #require(try cache.keys(of: poolId, in: h.store))
        #expect(cache.parses == 2)
        for _ in 0..<50 {
            let again = try #require(try cache.keys(of: poolId, in: h.store))
            #expect(again.signingKey.kid == first.signingKey.kid)
        }
        _ = try cache.ensureKeys(of: poolId, services: h.services)
        #expect(cache.parses == 2)
        #expect(try Self.keyFiles(h, poolId).count == 2)

        // Another process (a new cache) parses them once for itself, and gets the same keys.
        let other = PoolKeyCache()
        #expect(try other.keys(of: poolId, in: h.store)?.signingKey.kid == first.signingKey.kid)
        #expect(try other.keys(of: poolId, in: h.store)?.idTokenKey.kid == first.idTokenKey.kid)
        #expect(other.parses == 2)
    }

    @Test func cacheIsRevalidatedWhenTheFilesChange() throws {
        let h = try Harness()
        let poolId = try Self.createPool(h)
        let cache = h.services.keys
        let folder = Self.keysFolder(h, poolId)
        let keys = try #require(try cache.keys(of: poolId, in: h.store))
        let (original, idKey) = (keys.signingKey, keys.idTokenKey)
        let name = FileSystem.fileKey(original.kid) + ".json"

        // The same file name, other contents (a new inode): the new key is read.
        let replacement = try PoolKey(
            kid: original.kid, created: original.created, use: .access, privateKey: .init(keySize: .bits2048))
        try FileSystem.writeAtomically(folder + "/" + name, replacement.record.serialized())
        let reread = try #require(try cache.keys(of: poolId, in: h.store)).signingKey
        #expect(reread.jwk["n"] == replacement.jwk["n"])
        #expect(reread.jwk["n"] != original.jwk["n"])
        #expect(cache.parses == 3)

        // A newer key (one of a pool's first, made without a use): all published, the newer one signs access
        // tokens, the ID-token key still signs ID tokens; the unchanged files are not parsed again.
        let newer = try PoolKey.generate(now: h.clock.now() + 60) { try .init(keySize: .bits2048) }
        try FileSystem.writeAtomically(folder + "/" + FileSystem.fileKey(newer.kid) + ".json", newer.record.serialized())
        let all = try #require(try cache.keys(of: poolId, in: h.store))
        #expect(all.keys.first?.kid == newer.kid && Set(all.keys.map(\.kid)) == [newer.kid, original.kid, idKey.kid])
        #expect(all.signingKey.kid == newer.kid && all.idTokenKey.kid == idKey.kid)
        #expect(all.key(kid: original.kid)?.jwk["n"] == replacement.jwk["n"])
        #expect(all.jwks["keys"]?.arrayValue?.count == 3)
        #expect(cache.parses == 4)

        // A key removed is gone at once.
        try FileSystem.remove(folder + "/" + FileSystem.fileKey(newer.kid) + ".json")
        #expect(try cache.keys(of: poolId, in: h.store).map { Set($0.keys.map(\.kid)) } == [original.kid, idKey.kid])
    }

    @Test func poolsCreatedBeforeKeysGetTheirKeysOnFirstUse() throws {
        let h = try Harness()
        let poolId = try Self.createPool(h)
        FileSystem.removeTree(Self.keysFolder(h, poolId))  // as a pool made before this code would be
        #expect(try h.services.keys.keys(of: poolId, in: h.store) == nil)

        // Several threads (think: workers) ask at once; exactly one pair of keys is written and all of them use it.
        let results = Results()
        let services = h.services
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            let cache = PoolKeyCache()
            let keys = try? cache.ensureKeys(of: poolId, services: services)
            results.add(keys.map { $0.signingKey.kid + " " + $0.idTokenKey.kid })
        }
        let files = try Self.keyFiles(h, poolId)
        #expect(files.count == 2)
        let pairs = results.values
        #expect(pairs.count == 4)
        #expect(Set(pairs).count == 1)
        let kids = pairs.first?.split(separator: " ").map(String.init) ?? []
        #expect(kids.count == 2 && kids.map { FileSystem.fileKey($0) + ".json" }.sorted() == files)
        #expect(try h.services.keys.ensureKeys(of: poolId, services: h.services).signingKey.kid == kids.first)
    }

    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String?] = []
        func add(_ item: String?) { lock.withLock { items.append(item) } }
        var values: [String] { lock.withLock { items.compactMap { $0 } } }
    }

    @Test func unknownAndDeletedPoolsHaveNoKeys() throws {
        let h = try Harness()
        #expect(try h.services.keys.keys(of: "us-east-1_nothere00", in: h.store) == nil)
        #expect(throws: AWSError.poolNotFound("us-east-1_nothere00")) {
            try h.services.keys.ensureKeys(of: "us-east-1_nothere00", services: h.services)
        }
        #expect(!FileManager.default.fileExists(atPath: h.dir.path + "/pools/us-east-1_nothere00"))

        let poolId = try Self.createPool(h)
        #expect(try h.services.keys.keys(of: poolId, in: h.store) != nil)
        h.ok("DeleteUserPool", ["UserPoolId": .string(poolId)])
        #expect(try h.services.keys.keys(of: poolId, in: h.store) == nil)
    }

    @Test func testKeysAreValidAndReused() throws {
        let h = try Harness()
        let cache = PoolKeyCache(makeKey: TestKeys.next)
        let services = Services(
            config: h.services.config, store: h.store, clock: h.clock, logger: h.services.logger, keys: cache)
        for _ in 0..<TestKeys.count { _ = try TestKeys.next() }  // warm
        let t0 = DispatchTime.now()
        let ids = try (0..<TestKeys.count + 1).map { i in
            try #require(try CreateUserPool(services).run(CreateUserPoolInput(poolName: "p\(i)")).userPool?.id)
        }
        let ms = Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / Double(ids.count) / 1e6
        print("CreateUserPool with TestKeys: \(ms) ms a pool")
        let kids = try ids.map { try #require(try cache.keys(of: $0, in: h.store)).signingKey.kid }
        #expect(Set(kids).count >= 2)
    }

    @Test func keyGenerationCost() throws {
        let t0 = DispatchTime.now()
        for _ in 0..<5 { _ = try _RSA.Signing.PrivateKey(keySize: .bits2048) }
        let ms = Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 5 / 1e6
        print("RSA-2048 key generation: \(ms) ms")
    }
}

extension PoolKeySet: Equatable {
    public static func == (a: PoolKeySet, b: PoolKeySet) -> Bool { a.keys.map(\.kid) == b.keys.map(\.kid) }
}

/// Pre-made RSA keys for tests that create many pools. Generating a key (~110 ms of CPU) in every CreateUserPool
/// makes the whole suite about four times slower; `PoolKeyCache(makeKey: TestKeys.next)` in a test harness hands out
/// these instead, round-robin. Pools may then share a key: a test that needs each pool's key to be its own (another
/// pool's token refused) makes its pools with a real `PoolKeyCache()`, as `TokenFixture` does.
enum TestKeys {
    static let count = 8
    private static let lock = NSLock()
    nonisolated(unsafe) private static var keys: [_RSA.Signing.PrivateKey] = []
    nonisolated(unsafe) private static var handedOut = 0

    @Sendable static func next() throws -> _RSA.Signing.PrivateKey {
        try lock.withLock {
            defer { handedOut += 1 }
            if keys.count < count {
                let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
                keys.append(key)
                return key
            }
            return keys[handedOut % count]
        }
    }
}
