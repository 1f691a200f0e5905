import Foundation
import Testing

@testable import Handlers

#if canImport(Glibc)
import Glibc
#endif

struct StoreTests {
    func makePool(_ store: Store, _ id: String = "us-east-1_test") throws {
        let created = try store.createPool(id) { tx in try tx.write(nil, "pool", .object(["Id": .string(id)])) }
        #expect(created)
    }

    @Test func writesReadsAndRemovesRecords() throws {
        let dir = TempDirectory()
        let store = try Store(root: dir.path)
        try makePool(store)
        try store.withPool("us-east-1_test", .exclusive) { tx in
            try tx.write("users", "alice", .object(["name": .string("Alice")]))
        }
        let back = try store.withPool("us-east-1_test", .shared) { tx in try tx.read("users", "alice") }
        #expect(back == .object(["name": .string("Alice")]))
        let removed = try store.withPool("us-east-1_test", .exclusive) { tx in try tx.remove("users", "alice") }
        #expect(removed)
        let gone = try store.withPool("us-east-1_test", .shared) { tx in try tx.read("users", "alice") }
        #expect(gone == nil)
    }

    /// A page of stored names, listed without sorting the folder, is the same slice of the sorted whole, from
    /// any name (listed or not) and for any size; files that are not records, and temp files, are no names.
    @Test func aPageOfStoredNamesIsASliceOfTheSortedWhole() throws {
        let dir = TempDirectory()
        let store = try Store(root: dir.path)
        try makePool(store)
        var rng = SystemRandomNumberGenerator()
        let keys = (0..<300).map { i in
            String((0..<Int.random(in: 1...12, using: &rng)).map { _ in "aZ09_-%é".randomElement(using: &rng)! })
                + "\(i)"
        }
        try store.withPool("us-east-1_test", .exclusive) { tx in
            for key in keys { try tx.write("users", key, .object([:])) }
        }
        let folder = store.poolDirectory("us-east-1_test") + "/users/"
        for stray in ["notes.txt", ".tmp.1.abc", "json"] {
            #expect(FileManager.default.createFile(atPath: folder + stray, contents: Data()))
        }
        let whole = try store.withPool("us-east-1_test", .shared) { tx in try tx.storedNames("users") }
        #expect(whole.count == keys.count && whole == whole.sorted())
        for after in [nil, whole[0], whole[150], whole[298], whole[299], "", "%", "zzzz", whole[10] + "0"] as [String?] {
            let rest = after.map { a in whole.filter { $0 > a } } ?? whole
            for count in [0, 1, 2, 60, 61, 299, 300, 1000] {
                let page = try store.withPool("us-east-1_test", .shared) { tx in
                    try tx.storedNames("users", after: after, first: count)
                }
                #expect(page == Array(rest.prefix(count)), "after \(after ?? "-") count \(count)")
            }
        }
    }

    @Test func filesAndFoldersArePrivate() throws {
        let dir = TempDirectory()
        let store = try Store(root: dir.path + "/data")
        try makePool(store)
        var st = stat()
        stat(dir.path + "/data", &st)
        #expect(st.st_mode & 0o777 == 0o700)
        stat(dir.path + "/data/secret.key", &st)
        #expect(st.st_mode & 0o777 == 0o600)
        stat(store.poolDirectory("us-east-1_test") + "/pool.json", &st)
        #expect(st.st_mode & 0o777 == 0o600)
    }

    @Test func unknownPoolIsResourceNotFound() throws {
        let dir = TempDirectory()
        let store = try Store(root: dir.path)
        #expect(throws: AWSError.poolNotFound("us-east-1_nope")) {
            try store.withPool("us-east-1_nope", .shared) { _ in }
        }
    }

    @Test func createPoolRefusesATakenId() throws {
        let dir = TempDirectory()
        let store = try Store(root: dir.path)
        try makePool(store)
        #expect(try store.createPool("us-east-1_test") { _ in } == false)
    }

    @Test func deletedPoolIsGoneForEveryone() throws {
        let dir = TempDirectory()
        let store = try Store(root: dir.path)
        try makePool(store)
        try store.deletePool("us-east-1_test") { _ in }
        #expect(throws: AWSError.poolNotFound("us-east-1_test")) {
            try store.withPool("us-east-1_test", .shared) { _ in }
        }
        #expect(try store.poolIds().isEmpty)
        #expect(try FileSystem.list(dir.path + "/pools").isEmpty)
    }

    @Test(arguments: ["../x", "a/b", "..", ".", "", "a\u{0}b", "Ünïcödé", "%41", "A", "a", String(repeating: "é", count: 128)])
    func fileKeysStayInsideTheirFolder(_ raw: String) throws {
        let key = FileSystem.fileKey(raw)
        #expect(!key.contains("/"))
        #expect(key != "." && key != "..")
        #expect(key.utf8.count <= 255)
        if !key.contains("~") { #expect(FileSystem.decodeKey(key) == raw) }
    }

    @Test func distinctInputsGetDistinctKeys() {
        let inputs = ["a", "A", "%41", "%2541", "a.b", "a%2Eb", String(repeating: "x", count: 300), String(repeating: "x", count: 301)]
        #expect(Set(inputs.map(FileSystem.fileKey)).count == inputs.count)
    }

    @Test func staleTempFilesOfDeadWritersAreRemovedAtStart() throws {
        let dir = TempDirectory()
        _ = try Store(root: dir.path)
        let stale = dir.path + "/pools/.tmp.999999999.abcd"
        let live = dir.path + "/pools/.tmp.\(getpid()).abcd"
        _ = FileManager.default.createFile(atPath: stale, contents: Data("x".utf8))
        _ = FileManager.default.createFile(atPath: live, contents: Data("x".utf8))
        // A pool folder renamed aside by a DeletePool that died half-way.
        let deleted = dir.path + "/pools/.tmp.999999999.beef.deleted"
        try FileManager.default.createDirectory(atPath: deleted + "/users", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: deleted + "/users/a.json", contents: Data("{}".utf8))
        _ = try Store(root: dir.path)
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(!FileManager.default.fileExists(atPath: deleted))
        #expect(FileManager.default.fileExists(atPath: live))
    }

    @Test func secretIsCreatedOnceAndShared() throws {
        let dir = TempDirectory()
        let a = try Store(root: dir.path)
        let b = try Store(root: dir.path)
        #expect(a.secret.count == 32)
        #expect(a.secret == b.secret)
    }

    /// Several processes hammer one pool with read-modify-write transactions; flock must serialize them so
    /// that no record and no counter increment is lost.
    @Test func concurrentProcessesLoseNoWrite() throws {
        let dir = TempDirectory()
        let store = try Store(root: dir.path)
        try makePool(store)
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
            .appendingPathComponent("StoreTorture")
        let writers = 4
        let each = 40
        let processes = try (0..<writers).map { w -> Process in
            let p = Process()
            p.executableURL = exe
            p.arguments = [dir.path, "us-east-1_test", "w\(w)", String(each)]
            try p.run()
            return p
        }
        for p in processes {
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
        }
        let (counter, records) = try store.withPool("us-east-1_test", .shared) { tx in
            (try tx.read(nil, "counter"), try tx.keys("records"))
        }
        #expect(counter == .object(["n": .int(writers * each)]))
        #expect(records.count == writers * each)
    }

    @Test func pageTokensAreTamperEvident() throws {
        let secret = Array(repeating: UInt8(7), count: 32)
        let token = PageToken.make(after: "user-42", scope: "ListUsers:p1", secret: secret)
        #expect(try PageToken.read(token, scope: "ListUsers:p1", secret: secret) == "user-42")
        #expect(throws: AWSError.self) { try PageToken.read(token, scope: "ListUsers:p2", secret: secret) }
        #expect(throws: AWSError.self) { try PageToken.read(token + "x", scope: "ListUsers:p1", secret: secret) }
        #expect(throws: AWSError.self) { try PageToken.read("garbage", scope: "ListUsers:p1", secret: secret) }
        let forged = Base64URL.encode(Array("user-43".utf8)) + "." + token.split(separator: ".")[1]
        #expect(throws: AWSError.self) { try PageToken.read(forged, scope: "ListUsers:p1", secret: secret) }
    }

    // MARK: One-user changes

    /// A `.oneUser` change holds only LOCK_SH on the pool (plus its user's stripe): it completes while another
    /// reader holds LOCK_SH, which a LOCK_EX writer could not.
    @Test func aOneUserChangeRunsBesideReaders() throws {
        let dir = TempDirectory()
        let store = try Store(root: dir.path)
        try makePool(store)
        let reader = open(store.poolDirectory("us-east-1_test") + "/lock", O_RDONLY)
        defer { close(reader) }
        #expect(flock(reader, LOCK_SH) == 0)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = try? store.withPool("us-east-1_test", .oneUser) { tx in
                try tx.withUserLock("alice") { tx in try tx.write("users", "alice", .object(["n": 1])) }
            }
            done.signal()
        }
        let finished = done.wait(timeout: .now() + 10) == .success
        flock(reader, LOCK_UN)
        if !finished { done.wait() }
        #expect(finished)
        let back = try store.withPool("us-east-1_test", .shared) { tx in try tx.read("users", "alice") }
        #expect(back == .object(["n": 1]))
    }

    /// A `.oneUser` body that writes beyond its user's record is stopped at that write and run again from the start
    /// under LOCK_EX; a write before the user lock is taken is stopped too.
    @Test func aOneUserChangeThatNeedsMoreRunsAgainExclusively() throws {
        let dir = TempDirectory()
        let store = try Store(root: dir.path)
        try makePool(store)
        var modes: [Store.LockMode] = []
        try store.withPool("us-east-1_test", .oneUser) { tx in
            modes.append(tx.mode)
            try tx.withUserLock("alice") { tx in
                try tx.write("aliases", "email:a", .object(["User": "alice"]))
                try tx.write("users", "alice", .object(["n": 2]))
            }
        }
        #expect(modes == [.oneUser, .exclusive])
        var early: [Store.LockMode] = []
        try store.withPool("us-east-1_test", .oneUser) { tx in
            early.append(tx.mode)
            try tx.write("users", "bob", .object(["n": 3]))
        }
        #expect(early == [.oneUser, .exclusive])
        let stored = try store.withPool("us-east-1_test", .shared) { tx in
            try [tx.read("aliases", "email:a"), tx.read("users", "alice"), tx.read("users", "bob")]
        }
        #expect(stored == [.object(["User": "alice"]), .object(["n": 2]), .object(["n": 3])])
    }

    /// A pool's lock descriptor is kept open between transactions, but never holds the lock once a transaction ended:
    /// another open file description takes LOCK_EX at once.
    @Test func aKeptLockDescriptorHoldsNoLock() throws {
        let dir = TempDirectory()
        let store = try Store(root: dir.path)
        try makePool(store)
        for mode in [Store.LockMode.shared, .exclusive, .shared] {
            try store.withPool("us-east-1_test", mode) { _ in }
            #expect(store.lockFiles.kept == 1)
            let other = open(store.poolDirectory("us-east-1_test") + "/lock", O_RDONLY)
            #expect(flock(other, LOCK_EX | LOCK_NB) == 0)
            close(other)
        }
        try store.withPool("us-east-1_test", .oneUser) { tx in
            try tx.withUserLock("alice") { tx in try tx.write("users", "alice", .object(["n": 1])) }
        }
        #expect(store.userLockFiles.kept == 1)
    }

    /// Transactions of one process that overlap each hold their own descriptor: an exclusive one waits for a shared
    /// one in progress (a shared descriptor would have converted the lock instead), and both are kept afterwards.
    @Test func overlappingTransactionsNeverShareADescriptor() throws {
        let dir = TempDirectory()
        let store = try Store(root: dir.path)
        try makePool(store)
        let inside = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let readerDone = DispatchSemaphore(value: 0)
        // Threads of their own: a pool's worker threads may all be busy, which would serialise the two by itself.
        Thread {
            _ = try? store.withPool("us-east-1_test", .shared) { _ in
                inside.signal()
                release.wait()
            }
            readerDone.signal()
        }.start()
        inside.wait()
        let writerIn = DispatchSemaphore(value: 0)
        let writerDone = DispatchSemaphore(value: 0)
        Thread {
            _ = try? store.withPool("us-east-1_test", .exclusive) { tx in
                writerIn.signal()
                try tx.write("users", "bob", .object(["n": 1]))
            }
            writerDone.signal()
        }.start()
        #expect(writerIn.wait(timeout: .now() + 0.5) == .timedOut)
        release.signal()
        readerDone.wait()
        #expect(writerDone.wait(timeout: .now() + 10) == .success)
        #expect(store.lockFiles.kept == 2)
    }

    /// The descriptor of a deleted pool, or of one found missing, is closed, not kept.
    @Test func aGonePoolsLockDescriptorIsNotKept() throws {
        let dir = TempDirectory()
        let store = try Store(root: dir.path)
        try makePool(store)
        try store.withPool("us-east-1_test", .shared) { _ in }
        #expect(store.lockFiles.kept == 1)
        try store.deletePool("us-east-1_test") { _ in }
        #expect(store.lockFiles.kept == 0)
        // A pool folder whose pool.json is missing (a creation that did not finish) is not found, and not kept.
        try FileSystem.makeDirectory(store.poolDirectory("us-east-1_half"))
        _ = try Store.openLockFile(store.poolDirectory("us-east-1_half") + "/lock")
        #expect(throws: AWSError.poolNotFound("us-east-1_half")) {
            try store.withPool("us-east-1_half", .shared) { _ in }
        }
        #expect(store.lockFiles.kept == 0)
    }

    /// Beyond its capacity, the descriptor just used is kept and another closed.
    @Test func keptLockDescriptorsAreBounded() throws {
        let dir = TempDirectory()
        let files = LockFiles(capacity: 2)
        var handles: [LockFiles.Handle] = []
        for name in ["a", "b", "c"] {
            handles.append(try #require(try files.take(dir.path + "/" + name, create: true)))
        }
        #expect(try files.take(dir.path + "/missing") == nil)
        for (handle, name) in zip(handles, ["a", "b", "c"]) { files.putBack(handle, dir.path + "/" + name) }
        #expect(files.kept == 2)
        #expect(fcntl(handles[2].fd, F_GETFD) >= 0)
        #expect(try files.take(dir.path + "/c") == handles[2])
    }

    /// A pool's records are read through its folder's descriptor: a pool folder renamed away (as deletion does)
    /// takes its records with it for a transaction that already held the descriptor.
    @Test func recordsAreReadThroughThePoolsFolder() throws {
        let dir = TempDirectory()
        let files = LockFiles()
        try FileSystem.makeDirectory(dir.path + "/p")
        try FileSystem.writeAtomically(dir.path + "/p/lock", [])
        try FileSystem.writeAtomically(dir.path + "/p/pool.json", Array("{}".utf8))
        let handle = try #require(try files.take(dir.path + "/p/lock", withFolder: true))
        defer { files.discard(handle) }
        let location = FileLocation(path: dir.path + "/p/pool.json", folder: handle.folder, name: "pool.json")
        #expect(try FileSystem.read(location) == Array("{}".utf8))
        #expect(try FileStamp.of(location) == FileStamp.of(dir.path + "/p/pool.json"))
        #expect(rename(dir.path + "/p", dir.path + "/gone") == 0)
        #expect(try FileStamp.of(location) != nil)  // the same folder, wherever it is now
        FileSystem.removeTree(dir.path + "/gone")
        #expect(try FileStamp.of(location) == nil)
        #expect(try FileSystem.read(location) == nil)
        #expect(try files.take(dir.path + "/nowhere/lock", withFolder: true) == nil)
    }

    /// Usernames and alias values are keyed by their NFC form: both spellings of "é" name one user; ASCII is kept as
    /// it is (and case-folded where the pool folds).
    @Test func userKeysAreNFC() throws {
        var pool = try UserPoolType(json: ["Id": "us-east-1_test"])
        #expect(UserKey.username("Ame\u{301}lie", in: pool) == UserKey.username("Am\u{E9}lie", in: pool))
        #expect(UserKey.username("Am\u{E9}lie", in: pool).unicodeScalars.count == 6)
        #expect(UserKey.username("Alice", in: pool) == "Alice")
        pool.usernameConfiguration = UsernameConfigurationType(caseSensitive: false)
        #expect(UserKey.username("Alice", in: pool) == "alice")
        #expect(UserKey.alias("email", "Ame\u{301}lie@Example.com", in: pool) == "email:am\u{E9}lie@example.com")
        // A case-sensitive pool keeps the case of email addresses and preferred usernames; nothing folds phone
        // numbers or subs (nor has a legacy folded key for them).
        pool.usernameConfiguration = UsernameConfigurationType(caseSensitive: true)
        #expect(UserKey.alias("email", "Ame\u{301}lie@Example.com", in: pool) == "email:Am\u{E9}lie@Example.com")
        #expect(UserKey.legacyAlias("email", "Ame\u{301}lie@Example.com", in: pool) == "email:am\u{E9}lie@example.com")
        #expect(UserKey.legacyAlias("email", "amelie@example.com", in: pool) == nil)
        #expect(UserKey.alias("preferred_username", "Am", in: pool) == "preferred_username:Am")
        #expect(UserKey.alias("sub", "A-b", in: pool) == "sub:A-b" && UserKey.legacyAlias("sub", "A-b", in: pool) == nil)
    }

    // MARK: A damaged store (found by a security audit): errors, never a hang or a trap

    /// A FIFO where a record should be would block the open for ever under the pool's lock.
    @Test func aFIFOInPlaceOfARecordIsAnErrorNotAHang() throws {
        let dir = TempDirectory()
        let store = try Store(root: dir.path)
        try makePool(store)
        try FileSystem.makeDirectory(store.poolDirectory("us-east-1_test") + "/users")
        #expect(mkfifo(store.poolDirectory("us-east-1_test") + "/users/" + FileSystem.fileKey("alice") + ".json", 0o600) == 0)
        #expect(throws: (any Error).self) {
            try store.withPool("us-east-1_test", .shared) { tx in try tx.read("users", "alice") }
        }
    }

    @Test func anEmptySecretIsRefused() throws {
        let dir = TempDirectory()
        #expect(FileManager.default.createFile(atPath: dir.path + "/secret.key", contents: Data()))
        #expect(throws: Store.ShortSecret.self) { try Store(root: dir.path) }
    }

    /// Numbers no request can store (the model bounds them) but a damaged record can hold.
    @Test func outOfRangeNumbersInRecordsAreNoDatesAndNoOverflow() {
        for huge in [1e308, -1e308, 9.3e18, 253_402_300_800.0] {
            #expect(JSON.double(huge).dateValue == nil)
        }
        #expect(JSON.int(1_790_000_000).dateValue == Date(timeIntervalSince1970: 1_790_000_000))
        #expect(JSON.date(Date(timeIntervalSince1970: 1e300)) == .double(1e300))
        #expect(ClientSettings.lifetime(Int.max / 2, .days) == ClientSettings.refreshTokenRange.upperBound)
        #expect(ClientSettings.lifetime(-5, .hours) == 0)
        #expect(ClientSettings.lifetime(30, .days) == 2_592_000)
    }

    /// A pool whose making fails (a full disk, say) leaves nothing: no folder no reader sees, no key in it.
    @Test func aPoolMadeByHalfIsRemoved() throws {
        struct Full: Error {}
        let dir = TempDirectory()
        let store = try Store(root: dir.path)
        #expect(throws: Full.self) {
            try store.createPool("us-east-1_half") { tx in
                try tx.write("keys", "k1", .object(["PrivateKey": "secret"]))
                try tx.write(nil, "pool", .object(["Id": "us-east-1_half"]))
                throw Full()
            }
        }
        #expect(try FileSystem.list(dir.path + "/pools").isEmpty)
        #expect(try store.poolIds().isEmpty)
        // The id can be made again.
        try makePool(store, "us-east-1_half")
    }
}
