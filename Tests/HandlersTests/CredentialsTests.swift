import Foundation
import Testing

@testable import Handlers

/// `<data>/credentials.json`: creating keys, reading them back, permissions, and concurrent `keys create`.
struct CredentialsTests {
    static let now = Date(timeIntervalSince1970: 1_795_824_000)  // 2026-11-28T00:00:00Z

    /// A fresh data folder that does not exist yet; removed by `cleanUp`.
    static func makeDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("credentials-\(UUID().uuidString)")
    }

    static func cleanUp(_ directory: URL) {
        try? FileManager.default.removeItem(at: directory)
    }

    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int)
    }

    @Test func missingFileMeansNoKeys() throws {
        let directory = Self.makeDirectory()
        defer { Self.cleanUp(directory) }
        let file = CredentialsFile(dataDirectory: directory)
        #expect(try file.keys().isEmpty)
        #expect(try file.secretAccessKey(for: "AKIAIOSFODNN7EXAMPLE") == nil)
    }

    @Test func createWritesAKeyLikeAWSs() throws {
        let directory = Self.makeDirectory()
        defer { Self.cleanUp(directory) }
        let file = CredentialsFile(dataDirectory: directory)
        let key = try file.create(random: SystemRandom(), now: Self.now)

        #expect(key.accessKeyId.count == 20)
        #expect(key.accessKeyId.hasPrefix("AKIA"))
        #expect(key.accessKeyId.dropFirst(4).allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) })
        #expect(key.secretAccessKey.count == 40)
        #expect(key.secretAccessKey.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "/") })
        #expect(key.created == "2026-11-28T00:00:00Z")

        #expect(try file.keys() == [key])
        #expect(try file.secretAccessKey(for: key.accessKeyId) == key.secretAccessKey)
        #expect(try Self.mode(file.path) == 0o600)

        // The file is plain JSON in the documented shape.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file.path)))
        let keys = try #require((json as? [String: Any])?["keys"] as? [[String: String]])
        #expect(
            keys == [["accessKeyId": key.accessKeyId, "secretAccessKey": key.secretAccessKey, "created": key.created]])
    }

    @Test func createAppendsAndLeavesNoTempFiles() throws {
        let directory = Self.makeDirectory()
        defer { Self.cleanUp(directory) }
        let file = CredentialsFile(dataDirectory: directory)
        let first = try file.create(random: SystemRandom(), now: Self.now)
        let second = try file.create(random: SystemRandom(), now: Self.now.addingTimeInterval(60))
        #expect(first.accessKeyId != second.accessKeyId)
        #expect(try file.keys() == [first, second])
        #expect(second.created == "2026-11-28T00:01:00Z")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names == [CredentialsFile.fileName, CredentialsFile.lockFileName])
    }

    @Test func readersSeeKeysAddedByOthers() throws {
        let directory = Self.makeDirectory()
        defer { Self.cleanUp(directory) }
        let reader = CredentialsFile(dataDirectory: directory)
        #expect(try reader.keys().isEmpty)
        let key = try CredentialsFile(dataDirectory: directory).create(random: SystemRandom(), now: Self.now)
        #expect(try reader.secretAccessKey(for: key.accessKeyId) == key.secretAccessKey)

        // A hand edit (new inode, size and mtime) is picked up too.
        let edited = AccessKey(accessKeyId: "AKIAHANDEDITED000000", secretAccessKey: "secret", created: key.created)
        let json =
            #"{"keys":[{"accessKeyId":"AKIAHANDEDITED000000","secretAccessKey":"secret","created":""#
            + key.created + #""}]}"#
        try Data(json.utf8).write(to: URL(fileURLWithPath: reader.path), options: .atomic)
        #expect(try reader.keys() == [edited])
        #expect(try reader.secretAccessKey(for: key.accessKeyId) == nil)
    }

    @Test func malformedFileIsAnInternalErrorAndIsNeverOverwritten() throws {
        let directory = Self.makeDirectory()
        defer { Self.cleanUp(directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = CredentialsFile(dataDirectory: directory)
        let garbage = Data(#"{"keys": [ {"accessKeyId": "AKIA"#.utf8)
        try garbage.write(to: URL(fileURLWithPath: file.path))

        #expect(throws: AWSError.internalError) { try file.secretAccessKey(for: "AKIA") }
        #expect(throws: CredentialsFileError.self) { try file.create(random: SystemRandom(), now: Self.now) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: file.path)) == garbage)
    }

    @Test func concurrentCreatesLoseNothing() throws {
        let directory = Self.makeDirectory()
        defer { Self.cleanUp(directory) }
        let threads = 8
        let perThread = 5
        let shared = CredentialsFile(dataDirectory: directory)
        let results = Collected()
        DispatchQueue.concurrentPerform(iterations: threads) { index in
            // Half the threads share one instance, half have their own, like workers in separate processes.
            let file = index % 2 == 0 ? shared : CredentialsFile(dataDirectory: directory)
            for _ in 0..<perThread {
                do {
                    results.add(try file.create(random: SystemRandom(), now: Self.now))
                } catch {
                    results.fail("\(error)")
                }
            }
        }
        #expect(results.failures.isEmpty)
        let created = results.keys
        #expect(created.count == threads * perThread)
        let stored = try CredentialsFile(dataDirectory: directory).keys()
        #expect(stored.count == threads * perThread)
        #expect(Set(stored.map(\.accessKeyId)) == Set(created.map(\.accessKeyId)))
        #expect(Set(stored.map(\.accessKeyId)).count == stored.count)
        #expect(try Self.mode(shared.path) == 0o600)
    }

    /// Results gathered from several threads.
    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var storedKeys: [AccessKey] = []
        private var storedFailures: [String] = []

        func add(_ key: AccessKey) { lock.withLock { storedKeys.append(key) } }
        func fail(_ message: String) { lock.withLock { storedFailures.append(message) } }
        var keys: [AccessKey] { lock.withLock { storedKeys } }
        var failures: [String] { lock.withLock { storedFailures } }
    }
}
