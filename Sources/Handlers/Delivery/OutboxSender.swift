import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Delivers messages into a folder, one JSON file each (`Message.toJSON()`): `<data>/outbox/` by default. This
/// is the default sender, what development setups read their codes from, and what the tests read.
///
/// Files are written like every store file (temp, fsync, rename, fsync the folder; mode 0600, folder 0700), so
/// a reader never sees half a message. Names are `<epoch-ns, 20 digits>-<16 hex>.json`: they sort by the time of
/// sending, and the random part keeps names from different processes apart. Within one sender the time part
/// strictly increases, so messages sent in one process sort in the order they were sent even when the clock
/// stands still (as tests' clocks do).
///
/// SMS messages land here as well: the outbox is how SMS is "delivered" without an SMS gateway.
public final class OutboxSender: Sender, @unchecked Sendable {
    /// The folder's name inside the data folder.
    public static let folderName = "outbox"

    public let directory: String
    private let clock: any Clock
    private let random: any RandomSource
    private let logger: Logger
    private let lock = NSLock()
    private var lastStamp: UInt64 = 0

    /// A sender writing into `directory` (created on first use).
    public init(
        directory: String, clock: any Clock = SystemClock(), random: any RandomSource = SystemRandom(),
        logger: Logger = Logger(label: "cognito-fcgi.outbox")
    ) {
        self.directory = directory
        self.clock = clock
        self.random = random
        self.logger = logger
    }

    /// A sender writing into `<dataDirectory>/outbox`.
    public convenience init(dataDirectory: String, clock: any Clock = SystemClock()) {
        self.init(directory: dataDirectory + "/" + Self.folderName, clock: clock)
    }

    public func send(_ message: Message) throws(AWSError) {
        let name = nextName()
        do {
            try FileSystem.makeDirectory(directory)
            try FileSystem.writeAtomically(directory + "/" + name, message.toJSON().serialized(), mode: 0o600)
        } catch {
            var metadata = message.logMetadata
            metadata["error"] = "\(error)"
            logger.error("outbox write failed", metadata: metadata)
            throw AWSError.deliveryFailed
        }
        var metadata = message.logMetadata
        metadata["file"] = "\(name)"
        logger.info("message written to the outbox", metadata: metadata)
    }

    /// A message's durable write in the outbox folder, of a message's usual size, for a file removed again
    /// (`FileSystem.writeDecoy`): no reader ever sees it.
    public func rehearse(_ medium: DeliveryMediumType) throws(AWSError) {
        do {
            try FileSystem.makeDirectory(directory)
            try FileSystem.writeDecoy(in: directory, bytes: 512)
        } catch {
            logger.error("outbox write failed", metadata: ["error": "\(error)"])
            throw AWSError.deliveryFailed
        }
    }

    private func nextName() -> String {
        let seconds = max(0, clock.now().timeIntervalSince1970)
        let now = seconds < 1.8e10 ? UInt64(seconds * 1e9) : UInt64(1.8e19)
        let stamp = lock.withLock {
            lastStamp = max(now, lastStamp + 1)
            return lastStamp
        }
        let digits = String(stamp)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + "-" + Hex.encode(random.bytes(8))
            + ".json"
    }

    // MARK: Reading

    /// The names of the messages in `directory`, oldest first (temp files and other names are skipped).
    public static func files(in directory: String) throws -> [String] {
        try FileSystem.list(directory).filter { $0.hasSuffix(".json") }.sorted()
    }

    /// Every message in `directory`, oldest first; a folder that does not exist holds none.
    public static func messages(in directory: String) throws -> [Message] {
        try files(in: directory).compactMap { name in
            guard let bytes = try FileSystem.read(directory + "/" + name) else { return nil }
            return try Message(json: JSON.parse(bytes))
        }
    }

    /// The messages this sender has written, oldest first.
    public func messages() throws -> [Message] {
        try Self.messages(in: directory)
    }
}
