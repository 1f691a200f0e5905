import CSystem
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The nginx connections of one worker process, watched by one epoll set that every request thread waits on.
///
/// Why: with FastCGI keep-alive (`fastcgi_keep_conn on`), nginx sends request after request over the same
/// connection and keeps idle ones open for later. libfcgi's own loop (`FCGX_Accept_r` on the listening socket)
/// ties a thread to each connection until nginx closes it, so a worker with 8 threads and nginx holding more
/// idle connections than that leaves requests waiting on connections no thread reads (seconds at p99 in
/// `make bench`). Here a thread is taken only by a connection that has a request to read: libfcgi still reads
/// and writes every request (`FCGX_Accept_r` on a connection handed to it, `FCGX_Finish_r`), and a connection
/// nginx keeps goes back into the set after each request. Without keep-alive each connection serves one
/// request and is closed, as before.
///
/// - The listening socket is non-blocking and in the set with `EPOLLEXCLUSIVE` (one worker process is woken
///   per new connection); whichever thread sees it accepts what is queued.
/// - A connection is in the set with `EPOLLONESHOT`: one thread gets it, and it is re-armed only once that
///   thread has finished the request, so no two threads ever read one connection.
/// - `stop()` makes an eventfd readable for good: every waiting thread returns, threads busy with a request
///   finish it first and close their connection instead of keeping it (`watch`).
final class Connections: @unchecked Sendable {
    // @unchecked: the descriptors are fixed at init and epoll and eventfd calls are thread-safe; `stopped` is read
    // and written under `lock`.
    private let epoll: Int32
    private let wake: Int32
    private let listenFD: Int32
    private let logger: Logger
    private let lock = NSLock()
    private var stopped = false

    /// At most this many connections are accepted per wake-up, so one thread does not spend long accepting.
    static let acceptBatch = 16

    enum Event {
        /// A connection with something to read: a request, or its end.
        case readable(Int32)
        /// Nothing arrived for `idleAfter` milliseconds.
        case idle
        case stop
    }

    init(listenFD: Int32, logger: Logger) throws {
        self.listenFD = listenFD
        self.logger = logger
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epoll >= 0 else { throw Failure(call: "epoll_create1", code: errno) }
        wake = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        guard wake >= 0 else {
            close(epoll)
            throw Failure(call: "eventfd", code: errno)
        }
        let flags = fcntl(listenFD, F_GETFL)
        guard flags >= 0, fcntl(listenFD, F_SETFL, flags | O_NONBLOCK) == 0 else {
            close(epoll)
            close(wake)
            throw Failure(call: "fcntl O_NONBLOCK on the listening socket", code: errno)
        }
        do {
            try Self.control(epoll, EPOLL_CTL_ADD, listenFD, EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue)
            try Self.control(epoll, EPOLL_CTL_ADD, wake, EPOLLIN.rawValue)
        } catch {
            close(epoll)
            close(wake)
            throw error
        }
    }

    deinit {
        close(wake)
        close(epoll)
    }

    struct Failure: Error, CustomStringConvertible {
        let call: String
        let code: Int32
        var description: String { "\(call): \(String(cString: strerror(code)))" }
    }

    /// Blocks until a connection has something to read, the server stops, or (with `idleAfter`, milliseconds)
    /// nothing arrived for that long; accepts new connections meanwhile.
    func next(idleAfter: Int32 = -1) -> Event {
        var event = epoll_event()
        while true {
            let n = epoll_wait(epoll, &event, 1, idleAfter)
            if n < 0 {
                if errno == EINTR { continue }
                // Not a condition a client can cause (the set and the buffer are ours): without its set this
                // process serves nothing, so it ends and the supervisor (or systemd) starts another.
                logger.critical("epoll_wait failed; exiting", metadata: ["errno": "\(errno)"])
                exit(EXIT_FAILURE)
            }
            if n == 0 { return .idle }
            let fd = event.data.fd
            if fd == wake { return .stop }
            if fd == listenFD {
                acceptQueued()
                continue
            }
            return .readable(fd)
        }
    }

    /// Puts a connection that nginx keeps back in the set, for its next request; closes it once stopping.
    func watch(_ connection: Int32) {
        if lock.withLock({ stopped }) {
            close(connection)
            return
        }
        arm(connection, EPOLL_CTL_MOD)
    }

    /// Wakes every thread waiting in `next()`, now and from now on.
    func stop() {
        lock.withLock { stopped = true }
        var one: UInt64 = 1
        _ = write(wake, &one, MemoryLayout<UInt64>.size)
    }

    private static let connectionEvents = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLONESHOT.rawValue

    private func acceptQueued() {
        for _ in 0..<Self.acceptBatch {
            // Blocking connections (accept4 without SOCK_NONBLOCK): libfcgi reads and writes them blocking.
            let connection = accept4(listenFD, nil, nil, Int32(SOCK_CLOEXEC.rawValue))
            if connection < 0 {
                switch errno {
                case EAGAIN, EWOULDBLOCK: return  // another thread or process took it, or none left
                case EINTR, ECONNABORTED, EPROTO: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors or memory: the socket stays readable, so pause instead of spinning.
                    logger.error("accept failed; pausing 10 ms", metadata: ["errno": "\(errno)"])
                    usleep(10_000)
                    return
                default:
                    logger.error("accept failed", metadata: ["errno": "\(errno)"])
                    return
                }
            }
            arm(connection, EPOLL_CTL_ADD)
        }
    }

    /// Adds (`EPOLL_CTL_ADD`) or re-arms (`EPOLL_CTL_MOD`) a connection for its next request; one the set refuses
    /// is closed, as nothing would ever read it.
    private func arm(_ connection: Int32, _ op: Int32) {
        do {
            try Self.control(epoll, op, connection, Self.connectionEvents)
        } catch {
            logger.error("could not watch a connection; closing it", metadata: ["error": "\(error)"])
            close(connection)
        }
    }

    private static func control(_ epoll: Int32, _ op: Int32, _ fd: Int32, _ events: UInt32) throws {
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        guard epoll_ctl(epoll, op, fd, &event) == 0 else { throw Failure(call: "epoll_ctl", code: errno) }
    }
}
