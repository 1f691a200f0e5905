import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The listening socket: bound here, inherited as fd 0 (spawn-fcgi), or passed by systemd.
enum Listener {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Binds a unix socket at `path` with `mode`. A stale socket file (nobody accepting) is replaced; a live
    /// one is refused so two servers never fight over one path, and anything else at the path (a mistyped path
    /// naming a file) is left alone and refused.
    /// Removes `path` if it is a socket (never another kind of file); whether it removed one.
    @discardableResult
    static func removeSocket(_ path: String) -> Bool {
        var st = stat()
        guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFSOCK else { return false }
        return unlink(path) == 0
    }

    static func bind(path: String, mode: mode_t) throws -> Int32 {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard path.utf8.count < capacity else { throw Failure(description: "socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            for (i, b) in path.utf8.enumerated() { buf[i] = b }
            buf[path.utf8.count] = 0
        }
        if isLive(&addr) { throw Failure(description: "another server is accepting on \(path)") }
        if !removeSocket(path), FileManager.default.fileExists(atPath: path) {
            throw Failure(description: "\(path) exists and is not a socket: not replacing it")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        let rc = withUnsafePointer(to: &addr) { ptr in
            ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else {
            close(fd)
            throw Failure(description: "bind \(path): \(String(cString: strerror(errno)))")
        }
        chmod(path, mode)
        guard listen(fd, 1024) == 0 else {
            close(fd)
            throw Failure(description: "listen \(path): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    private static func isLive(_ addr: inout sockaddr_un) -> Bool {
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard probe >= 0 else { return false }
        defer { close(probe) }
        let rc = withUnsafePointer(to: &addr) { ptr in
            ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return rc == 0
    }

    /// The socket systemd passed (`LISTEN_FDS`, fd 3) or else fd 0, as spawn-fcgi and FastCGI specify.
    static func inherited() -> Int32 {
        let env = ProcessInfo.processInfo.environment
        if let fds = env["LISTEN_FDS"], Int(fds) ?? 0 >= 1, let pid = env["LISTEN_PID"], pid_t(pid) == getpid() {
            return 3
        }
        return 0
    }
}

/// Runs `count` worker processes on one listening socket and restarts any that die, until SIGTERM/SIGINT,
/// which it forwards and then waits for every worker to finish its in-flight requests.
///
/// A worker that dies within `quickDeath` of its start is restarted after a delay that doubles each time (from
/// 0.1 s up to `longestDelay`), so a worker that cannot start (a file it needs became unreadable, say) logs once a
/// few seconds instead of ten times a second; one that lived longer is restarted after 0.1 s and resets the delay.
struct Supervisor {
    let listenFD: Int32
    let count: Int
    let arguments: [String]
    let logger: Logger

    func run() throws {
        Signals.blockTermination(extra: [SIGCHLD])
        var children: [pid_t: Date] = [:]
        for _ in 0..<count { children[try spawn()] = Date() }
        // Workers to start again once `restartAt` has come, and the delay after the next quick death.
        var pending = 0
        var restartAt = Date.distantFuture
        var delay = Self.firstDelay

        var set = Signals.terminationSet()
        sigaddset(&set, SIGCHLD)
        var stopping = false
        while !children.isEmpty || (pending > 0 && !stopping) {
            var sig: Int32 = 0
            if pending > 0 && !stopping {
                let wait = restartAt.timeIntervalSinceNow
                if wait <= 0 {
                    while pending > 0, let pid = try? spawn() {
                        children[pid] = Date()
                        pending -= 1
                    }
                    // A worker that could not even be spawned is tried again after the longest delay.
                    restartAt = pending > 0 ? Date().addingTimeInterval(Self.longestDelay) : .distantFuture
                    continue
                }
                // The wait for a restart still answers SIGTERM and SIGCHLD at once.
                var timeout = timespec(tv_sec: Int(wait), tv_nsec: Int((wait - wait.rounded(.down)) * 1e9))
                sig = sigtimedwait(&set, nil, &timeout)
                if sig < 0 { continue }  // the delay is over (EAGAIN), or EINTR
            } else {
                guard sigwait(&set, &sig) == 0 else { continue }
            }
            if sig == SIGTERM || sig == SIGINT {
                if !stopping {
                    stopping = true
                    logger.info("stopping workers", metadata: ["count": "\(children.count)"])
                }
                for pid in children.keys { kill(pid, SIGTERM) }
                continue
            }
            // SIGCHLD: reap every child that exited; start another unless we are stopping.
            var status: Int32 = 0
            while true {
                let pid = waitpid(-1, &status, WNOHANG)
                if pid <= 0 { break }
                guard let started = children.removeValue(forKey: pid), !stopping else { continue }
                let quick = Date().timeIntervalSince(started) < Self.quickDeath
                let wait = quick ? delay : Self.firstDelay
                delay = quick ? min(delay * 2, Self.longestDelay) : Self.firstDelay
                logger.error(
                    "worker exited unexpectedly; restarting",
                    metadata: ["pid": "\(pid)", "status": "\(status)", "in": "\(wait)s"])
                pending += 1
                restartAt = min(restartAt, Date().addingTimeInterval(wait))
            }
        }
    }

    static let firstDelay: TimeInterval = 0.1
    static let quickDeath: TimeInterval = 1
    static let longestDelay: TimeInterval = 10

    /// Starts this same executable as a worker with the listening socket as its fd 0.
    private func spawn() throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, listenFD, 0)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        posix_spawnattr_setsigmask(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

        let executable = "/proc/self/exe"
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw Listener.Failure(description: "posix_spawn: \(String(cString: strerror(rc)))") }
        return pid
    }
}
