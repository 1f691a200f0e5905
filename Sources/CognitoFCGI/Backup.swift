import ArgumentParser
import Foundation
import Handlers

#if canImport(Glibc)
import Glibc
#endif

/// `cognito-fcgi backup --data DIR --to DEST`: a consistent copy of a live store, itself a valid data folder.
///
/// The store's locking protocol (Sources/Handlers/Store/Store.swift) makes this possible while workers run:
/// - Each pool is copied while holding `flock(LOCK_SH)` on its `lock` file, as every reader does, and `LOCK_EX` on
///   every user lock stripe (`Store.withEveryUserLock`), so no write to that pool happens during its copy: the
///   copy is the pool as of one moment.
/// - The global `clients/<clientId>` index is written and removed only inside the owning pool's `LOCK_EX`
///   section, so the entries pointing at a pool are copied together with it, under the same shared lock:
///   every client in the backup is reachable by its ClientId, and index entries left over from a crash (which
///   point at no client) are left out.
/// - `credentials.json` is copied under `LOCK_SH` on `credentials.lock`, the lock its writers take.
/// - Every file is replaced atomically by the workers, so the rest (`secret.key`, `outbox/`) is copied as is.
///   Temp files (`.tmp.*`) are skipped. Modes are preserved (0600 files, 0700 folders).
///
/// The copy is written to `DEST.partial-<pid>`, fsynced, and renamed to `DEST` only when complete, so
/// a `DEST` that exists is a whole backup. Writers to a pool wait while that pool is copied.
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the data folder consistently (while workers run) into a new folder.",
        discussion: """
            DEST must not exist. The result is a data folder: restore by stopping the workers and serving from \
            it (or moving it into place). Archive it with e.g. `tar -C DEST/.. -czf backup.tar.gz NAME`.
            """)

    @Option(help: "The data folder to back up.")
    var data: String

    @Option(help: "The backup folder to create (must not exist).")
    var to: String

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func run() throws {
        umask(0o077)
        let source = data.hasSuffix("/") && data.count > 1 ? String(data.dropLast()) : data
        let destination = to.hasSuffix("/") && to.count > 1 ? String(to.dropLast()) : to
        var st = stat()
        guard stat(source + "/pools", &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw Failure(description: "\(source) is not a cognito-fcgi data folder (no pools/ in it)")
        }
        guard lstat(destination, &st) != 0 else { throw Failure(description: "\(destination) already exists") }

        let partial = destination + ".partial-\(getpid())"
        var copier = Copier()
        do {
            try copier.makeDirectory(partial, like: source)
            var counts = (pools: 0, clients: 0)

            let copyCredentials = { (copier: inout Copier) throws in
                try copier.copyFile(source + "/credentials.json", to: partial + "/credentials.json", optional: true)
            }
            // No credentials.lock yet: no key was ever written through the locking path; copy as is.
            if try withLock(source + "/credentials.lock", LOCK_SH, { try copyCredentials(&copier) }) == nil {
                try copyCredentials(&copier)
            }
            try copier.copyFile(source + "/secret.key", to: partial + "/secret.key", optional: true)

            try copier.makeDirectory(partial + "/pools", like: source + "/pools")
            try copier.makeDirectory(partial + "/clients", like: source + "/clients", optional: true)
            for pool in try Copier.names(source + "/pools") {
                let from = source + "/pools/" + pool
                let copied = try withLock(from + "/lock", LOCK_SH) { () throws -> Int? in
                    // Without pool.json the pool does not exist for readers (being created or deleted): skip it.
                    guard access(from + "/pool.json", F_OK) == 0 else { return nil }
                    // Single-user changes run under LOCK_SH and their user's lock: wait those out too.
                    try Store.withEveryUserLock(poolDirectory: from) {
                        try copier.copyTree(from, to: partial + "/pools/" + pool)
                    }
                    // The index entries of this pool's clients: same file key as the client record.
                    var clients = 0
                    for record in try Copier.names(from + "/clients") where record.hasSuffix(".json") {
                        let key = String(record.dropLast(5))
                        let entry = source + "/clients/" + key
                        try copier.copyFile(entry, to: partial + "/clients/" + key, optional: true)
                        clients += 1
                    }
                    return clients
                }
                if let clients = copied ?? nil {
                    counts.pools += 1
                    counts.clients += clients
                }
            }

            // Everything else at the top (outbox/, and whatever later versions add), as plain files.
            let handled: Set<String> = ["credentials.json", "credentials.lock", "secret.key", "pools", "clients"]
            for name in try Copier.names(source) where !handled.contains(name) {
                try copier.copyTree(source + "/" + name, to: partial + "/" + name)
            }

            try copier.flush()
            guard rename(partial, destination) == 0 else {
                throw Failure(description: "rename \(partial) to \(destination): \(String(cString: strerror(errno)))")
            }
            let parent = (destination as NSString).deletingLastPathComponent
            Copier.syncDirectory(parent.isEmpty ? "." : parent)
            print("backed up \(counts.pools) pool(s), \(counts.clients) app client(s), \(copier.files) file(s) to \(destination)")
        } catch {
            Copier.removeTree(partial)
            throw error
        }
    }

    /// Runs `body` holding `flock(operation)` on `path`. Returns nil when the lock file does not exist (a pool
    /// that is being created or was just deleted).
    private func withLock<T>(_ path: String, _ operation: Int32, _ body: () throws -> T) throws -> T? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw Failure(description: "open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }  // closing the descriptor releases the lock
        while flock(fd, operation) != 0 {
            if errno == EINTR { continue }
            throw Failure(description: "flock \(path): \(String(cString: strerror(errno)))")
        }
        return try body()
    }
}

/// File copying that keeps modes, skips the store's temp files and never follows symbolic links.
private struct Copier {
    private(set) var files = 0
    /// Folders made, to fsync once their entries are all in (see `flush`).
    private var directories: [String] = []


    /// Names in a folder without `.`, `..` and temp files, sorted; a missing folder lists as empty. The store's
    /// own listing (`FileSystem.list`), so a backup skips exactly what readers skip.
    static func names(_ dir: String) throws -> [String] {
        do {
            return try FileSystem.list(dir).sorted()
        } catch {
            throw Backup.Failure(description: "\(error)")
        }
    }

    /// Creates `path` with the permission bits of `model` (0700 when the model is missing).
    mutating func makeDirectory(_ path: String, like model: String, optional: Bool = false) throws {
        var st = stat()
        let mode = stat(model, &st) == 0 ? st.st_mode & 0o7777 : 0o700
        guard mkdir(path, mode) == 0 || (errno == EEXIST && optional) else {
            throw Backup.Failure(description: "mkdir \(path): \(String(cString: strerror(errno)))")
        }
        chmod(path, mode)  // exactly the source's bits, whatever the umask
        directories.append(path)
    }

    /// Copies one regular file with its permission bits. A missing source is skipped when `optional`.
    mutating func copyFile(_ source: String, to destination: String, optional: Bool = false) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if input < 0 {
            if errno == ENOENT && optional { return }
            throw Backup.Failure(description: "open \(source): \(String(cString: strerror(errno)))")
        }
        defer { close(input) }
        var st = stat()
        guard fstat(input, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw Backup.Failure(description: "\(source) is not a regular file")
        }
        let mode = st.st_mode & 0o7777
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard output >= 0 else {
            throw Backup.Failure(description: "create \(destination): \(String(cString: strerror(errno)))")
        }
        defer { close(output) }
        fchmod(output, mode)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw Backup.Failure(description: "read \(source): \(String(cString: strerror(errno)))")
            }
            var done = 0
            while done < n {
                let w = buffer.withUnsafeBytes { write(output, $0.baseAddress! + done, n - done) }
                if w < 0 {
                    if errno == EINTR { continue }
                    throw Backup.Failure(description: "write \(destination): \(String(cString: strerror(errno)))")
                }
                done += w
            }
        }
        guard fsync(output) == 0 else {
            throw Backup.Failure(description: "fsync \(destination): \(String(cString: strerror(errno)))")
        }
        files += 1
    }

    /// Copies a file, or a folder and everything below it. The store never makes symbolic links, but it reads
    /// through one someone planted, so a link fails the backup (naming it) rather than leave out what the service
    /// serves; sockets, FIFOs and devices, which it never reads as records, are skipped.
    mutating func copyTree(_ source: String, to destination: String) throws {
        var st = stat()
        guard lstat(source, &st) == 0 else {
            if errno == ENOENT { return }
            throw Backup.Failure(description: "lstat \(source): \(String(cString: strerror(errno)))")
        }
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            try makeDirectory(destination, like: source)
            for name in try Copier.names(source) {
                try copyTree(source + "/" + name, to: destination + "/" + name)
            }
        case S_IFREG:
            try copyFile(source, to: destination, optional: true)
        case S_IFLNK:
            throw Backup.Failure(
                description: "\(source) is a symbolic link, which the store never makes: put the file it points to "
                    + "in its place and back up again")
        default:
            break
        }
    }

    /// Makes every folder's entries durable (the files were fsynced as they were written) before the backup is
    /// renamed into place.
    func flush() throws {
        for path in directories.reversed() {
            let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0, fsync(fd) == 0 else {
                if fd >= 0 { close(fd) }
                throw Backup.Failure(description: "fsync \(path): \(String(cString: strerror(errno)))")
            }
            close(fd)
        }
    }

    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// Removes a partial backup after a failure.
    static func removeTree(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            if let d = opendir(path) {
                var names: [String] = []
                while let entry = readdir(d) {
                    let name = withUnsafePointer(to: entry.pointee.d_name) { ptr in
                        ptr.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                    }
                    if name != "." && name != ".." { names.append(name) }
                }
                closedir(d)
                for name in names { removeTree(path + "/" + name) }
            }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
