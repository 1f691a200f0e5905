import CFastCGI
import Foundation
import Handlers
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The libfcgi accept loop: `threads` threads each own one `FCGX_Request` and call `FCGX_Accept_r` on the
/// shared listening socket (safe on Linux without a lock around accept).
///
/// Each request is copied out of libfcgi at once into a `Request` (libfcgi frees its parameters at the next
/// accept), handed to `Service.handle`, and the `Response` written back with a CGI `Status:` header.
///
/// Shutdown: SIGTERM/SIGINT are blocked in every thread and taken by `sigwait` in the main thread, which sets
/// `FCGX_ShutdownPending` and interrupts the workers' `accept` with SIGUSR2 (installed without SA_RESTART,
/// and requests initialised with `FCGI_FAIL_ACCEPT_ON_INTR`). A worker in the middle of a request finishes
/// it first; then every thread returns and the process exits 0.
final class FastCGIServer: @unchecked Sendable {
    // @unchecked: the only mutable state is `stopping`, an atomic-by-construction flag read under `lock`.
    let listenFD: Int32
    let service: Service
    let maxBodyBytes: Int
    let logger: Logger
    private let lock = NSLock()
    private var stoppingFlag = false
    private var running = 0

    init(listenFD: Int32, service: Service, maxBodyBytes: Int, logger: Logger) {
        self.listenFD = listenFD
        self.service = service
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
    }

    var stopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stoppingFlag
    }

    /// Serves until SIGTERM or SIGINT; returns when every thread has finished its request.
    func run(threads: Int) {
        FCGX_Init()
        Signals.installInterruptHandler()
        Signals.blockTermination()

        var workers: [pthread_t] = []
        for _ in 0..<max(1, threads) {
            let box = Unmanaged.passRetained(self).toOpaque()
            var tid = pthread_t()
            let rc = pthread_create(&tid, nil, { arg in
                guard let arg else { return nil }
                let server = Unmanaged<FastCGIServer>.fromOpaque(arg).takeRetainedValue()
                server.acceptLoop()
                return nil
            }, box)
            if rc == 0 {
                workers.append(tid)
                lock.withLock { running += 1 }
            } else {
                Unmanaged<FastCGIServer>.fromOpaque(box).release()
                logger.error("could not start a worker thread", metadata: ["errno": "\(rc)"])
            }
        }
        guard !workers.isEmpty else { return }

        let signal = Signals.waitForTermination()
        logger.info("stopping", metadata: ["signal": "\(signal)", "pid": "\(getpid())"])
        lock.lock()
        stoppingFlag = true
        lock.unlock()
        FCGX_ShutdownPending()
        // A thread may be between its flag check and accept(), so keep nudging until all have returned.
        while lock.withLock({ running }) > 0 {
            for tid in workers { pthread_kill(tid, SIGUSR2) }
            usleep(20_000)
        }
        for tid in workers { pthread_join(tid, nil) }
    }

    private func acceptLoop() {
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        defer { request.deallocate() }
        guard FCGX_InitRequest(request, listenFD, FCGI_FAIL_ACCEPT_ON_INTR) == 0 else {
            logger.error("FCGX_InitRequest failed")
            lock.withLock { running -= 1 }
            return
        }
        while !stopping {
            let rc = FCGX_Accept_r(request)
            if rc < 0 {
                if stopping { break }
                // EINTR from a stray signal, or a connection that died before its request arrived.
                continue
            }
            let started = DispatchTime.now().uptimeNanoseconds
            let (response, outcome) = serve(request)
            write(response, to: request)
            FCGX_Finish_r(request)
            let micros = (DispatchTime.now().uptimeNanoseconds - started) / 1000
            logger.info(
                "request",
                metadata: [
                    "id": "\(outcome.requestId)", "op": "\(outcome.operation ?? "-")", "status": "\(outcome.status)",
                    "type": "\(outcome.errorType ?? "-")", "us": "\(micros)",
                ])
        }
        FCGX_Free(request, 1)
        lock.withLock { running -= 1 }
    }

    /// Copies the request out of libfcgi and runs it through the service.
    private func serve(_ fcgi: UnsafeMutablePointer<FCGX_Request>) -> (Response, Service.Outcome) {
        var method = "GET"
        var uri = "/"
        var query = ""
        var headers: [String: String] = [:]
        var contentLength = 0
        if var env = fcgi.pointee.envp {
            while let entry = env.pointee {
                let pair = String(cString: entry)
                if let eq = pair.firstIndex(of: "=") {
                    let name = pair[..<eq]
                    let value = String(pair[pair.index(after: eq)...])
                    switch name {
                    case "REQUEST_METHOD": method = value
                    case "REQUEST_URI": uri = value
                    case "QUERY_STRING": query = value
                    case "CONTENT_TYPE": headers["content-type"] = value
                    case "CONTENT_LENGTH":
                        contentLength = Int(value) ?? 0
                        headers["content-length"] = value
                    default:
                        if name.hasPrefix("HTTP_") {
                            headers[name.dropFirst(5).lowercased().replacingOccurrences(of: "_", with: "-")] = value
                        }
                    }
                }
                env += 1
            }
        }
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "/"
        if contentLength > maxBodyBytes || contentLength < 0 {
            // Refused before a byte of it is read; nginx's client_max_body_size normally stops it earlier.
            let request = Request(method: method, path: path, query: query, headers: headers, body: [])
            return service.refuseOversizedBody(request)
        }
        var body = [UInt8](repeating: 0, count: contentLength)
        var got = 0
        while got < contentLength {
            let n = body.withUnsafeMutableBytes { buf in
                FCGX_GetStr(buf.baseAddress!.assumingMemoryBound(to: CChar.self) + got, Int32(contentLength - got), fcgi.pointee.in)
            }
            if n <= 0 { break }
            got += Int(n)
        }
        if got < contentLength { body.removeLast(contentLength - got) }
        let request = Request(method: method, path: path, query: query, headers: headers, body: body)
        return service.handleWithOutcome(request)
    }

    private func write(_ response: Response, to fcgi: UnsafeMutablePointer<FCGX_Request>) {
        var head = "Status: \(response.status) \(Self.reason(response.status))\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(response.body.count)\r\n\r\n"
        var bytes = Array(head.utf8)
        bytes.append(contentsOf: response.body)
        _ = bytes.withUnsafeBytes { buf in
            FCGX_PutStr(buf.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(buf.count), fcgi.pointee.out)
        }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 413: return "Payload Too Large"
        case 500: return "Internal Server Error"
        default: return "Status"
        }
    }
}

/// Signal plumbing for the workers and the process supervisor.
enum Signals {
    /// A no-op SIGUSR2 handler without SA_RESTART: delivering it interrupts a blocked accept().
    static func installInterruptHandler() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGUSR2, &action, nil)
        signal(SIGPIPE, SIG_IGN)
    }

    static func terminationSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGINT)
        return set
    }

    /// Blocks SIGTERM/SIGINT in this thread and every thread it creates afterwards.
    static func blockTermination(extra: [Int32] = []) {
        var set = terminationSet()
        for s in extra { sigaddset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    static func waitForTermination() -> Int32 {
        var set = terminationSet()
        var sig: Int32 = 0
        while sigwait(&set, &sig) != 0 {}
        return sig
    }
}
