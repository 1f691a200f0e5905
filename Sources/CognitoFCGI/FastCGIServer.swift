import CFastCGI
import CSystem
import Foundation
import Handlers
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The libfcgi accept loop: `threads` threads take the nginx connections that have a request to read from one
/// `Connections` set (epoll), and libfcgi reads each request from its connection (`FCGX_Accept_r`) and writes the
/// answer (`FCGX_Finish_r`). A connection nginx keeps (`fastcgi_keep_conn on`) goes back into the set for its next
/// request; one it does not keep is closed by libfcgi, as before.
///
/// Each request is copied out of libfcgi at once into a `Request` (libfcgi frees its parameters at the next
/// accept), handed to `Service.handle`, and the `Response` written back with a CGI `Status:` header.
///
/// Shutdown: SIGTERM/SIGINT are blocked in every thread and taken by `sigwait` in the main thread, which stops
/// the set: threads waiting for a request return at once, a thread in the middle of a request finishes it (and
/// closes its connection instead of keeping it); then every thread returns and the process exits 0. Idle kept
/// connections close with the process.
final class FastCGIServer: Sendable {
    let listenFD: Int32
    let service: Service
    let maxBodyBytes: Int
    let logger: Logger

    init(listenFD: Int32, service: Service, maxBodyBytes: Int, logger: Logger) {
        self.listenFD = listenFD
        self.service = service
        self.maxBodyBytes = maxBodyBytes
        self.logger = logger
    }

    /// Serves until SIGTERM or SIGINT; returns when every thread has finished its request.
    func run(threads: Int) throws {
        FCGX_Init()
        Signals.ignoreBrokenPipes()
        Signals.blockTermination()
        let connections = try Connections(listenFD: listenFD, logger: logger)

        var workers: [pthread_t] = []
        for _ in 0..<max(1, threads) {
            let box = Unmanaged.passRetained(Loop(server: self, connections: connections)).toOpaque()
            var tid = pthread_t()
            let rc = pthread_create(&tid, nil, { arg in
                guard let arg else { return nil }
                let loop = Unmanaged<Loop>.fromOpaque(arg).takeRetainedValue()
                loop.server.acceptLoop(loop.connections)
                return nil
            }, box)
            if rc == 0 {
                workers.append(tid)
            } else {
                Unmanaged<Loop>.fromOpaque(box).release()
                logger.error("could not start a worker thread", metadata: ["errno": "\(rc)"])
            }
        }
        guard !workers.isEmpty else { return }

        let signal = Signals.waitForTermination()
        logger.info("stopping", metadata: ["signal": "\(signal)", "pid": "\(getpid())"])
        connections.stop()
        for tid in workers { pthread_join(tid, nil) }
    }

    /// What a request thread is started with.
    private final class Loop {
        let server: FastCGIServer
        let connections: Connections
        init(server: FastCGIServer, connections: Connections) {
            self.server = server
            self.connections = connections
        }
    }

    private func acceptLoop(_ connections: Connections) {
        let request = UnsafeMutablePointer<FCGX_Request>.allocate(capacity: 1)
        defer { request.deallocate() }
        // No listening socket for libfcgi: it reads only the connections handed to it, and when one turns out to
        // be closed it returns an error instead of accepting on its own.
        FCGX_InitRequest(request, -1, 0)
        var accessLine = AccessLine()
        let fastAccessLog = AccessLine.canReplace(logger)
        var servedSinceIdle = false
        loop: while true {
            let connection: Int32
            switch connections.next(idleAfter: servedSinceIdle ? Self.idleTrimMilliseconds : -1) {
            case .stop: break loop
            case .idle:
                // Quiet for half a second after serving: hand the heap's free pages back to the kernel, so a worker
                // that served a burst does not keep its peak resident while idle (glibc keeps freed memory in
                // each thread's arena otherwise).
                servedSinceIdle = false
                malloc_trim(0)
                continue
            case .readable(let fd): connection = fd
            }
            servedSinceIdle = true
            // FCGX_Accept_r begins by finishing "the previous request": keep the connection it is handed.
            request.pointee.ipcFd = connection
            request.pointee.keepConnection = 1
            if FCGX_Accept_r(request) < 0 {
                // nginx closed the connection (an idle kept one), or sent no request on it: libfcgi closed it.
                request.pointee.ipcFd = -1
                continue
            }
            if Self.isPing(request) {
                // The no-op route the benchmark measures its ceiling with (bench/): no store, no crypto, no log.
                _ = Self.pingResponse.withUnsafeBufferPointer { buf in
                    FCGX_PutStr(buf.baseAddress, Int32(buf.count), request.pointee.out)
                }
                finish(request, connections)
                continue
            }
            let started = DispatchTime.now().uptimeNanoseconds
            let (response, outcome) = serve(request)
            write(response, to: request)
            finish(request, connections)
            let micros = (DispatchTime.now().uptimeNanoseconds - started) / 1000
            if fastAccessLog {
                accessLine.write(label: logger.label, outcome: outcome, micros: micros)
            } else {
                logger.info(
                    "request",
                    metadata: [
                        "id": .string(outcome.requestId), "op": .string(outcome.operation ?? "-"),
                        "status": .string(String(outcome.status)), "type": .string(outcome.errorType ?? "-"),
                        "us": .string(String(micros)),
                    ])
            }
        }
    }

    /// How long a thread that served requests waits for the next before trimming the heap (`malloc_trim`).
    static let idleTrimMilliseconds: Int32 = 500

    /// Ends the request (libfcgi sends the end-of-request record, and closes the connection unless nginx asked to
    /// keep it); a kept connection goes back into the set, or is closed when the server is stopping.
    private func finish(_ request: UnsafeMutablePointer<FCGX_Request>, _ connections: Connections) {
        FCGX_Finish_r(request)
        let kept = request.pointee.ipcFd
        request.pointee.ipcFd = -1
        if kept >= 0 { connections.watch(kept) }
    }

    /// `GET /ping` (exact path, any query) is answered `200 {}` by the accept loop itself, before the service: a
    /// liveness probe that touches neither the store nor any key, and the no-op route `make bench` takes as the
    /// ceiling of nginx + libfcgi + this loop. Compares C strings in place: no allocation.
    static func isPing(_ fcgi: UnsafeMutablePointer<FCGX_Request>) -> Bool {
        guard let method = FCGX_GetParam("REQUEST_METHOD", fcgi.pointee.envp), strcmp(method, "GET") == 0,
            let uri = FCGX_GetParam("REQUEST_URI", fcgi.pointee.envp)
        else { return false }
        return strncmp(uri, "/ping", 5) == 0 && (uri[5] == 0 || uri[5] == CChar(UInt8(ascii: "?")))
    }

    static let pingResponse: [CChar] = Array(
        "Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}".utf8CString.dropLast())

    /// Copies the request out of libfcgi and runs it through the service.
    ///
    /// The parameters are read as bytes in place: only the values kept become Strings, and HTTP_* names are
    /// lower-cased and `_` → `-` byte by byte (this loop runs for every parameter of every request; Foundation's
    /// `replacingOccurrences` here was half of the accept loop's own CPU).
    private func serve(_ fcgi: UnsafeMutablePointer<FCGX_Request>) -> (Response, Service.Outcome) {
        var method = "GET"
        var uri = "/"
        var query = ""
        var headers: [String: String] = [:]
        headers.reserveCapacity(16)
        var contentLength = 0
        if var env = fcgi.pointee.envp {
            while let entry = env.pointee {
                let length = strlen(entry)
                let bytes = UnsafeRawBufferPointer(start: entry, count: length)
                if let eq = bytes.firstIndex(of: UInt8(ascii: "=")) {
                    let name = UnsafeRawBufferPointer(rebasing: bytes[..<eq])
                    let value = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(eq + 1)...]), as: UTF8.self)
                    if Self.equals(name, "REQUEST_METHOD") {
                        method = value
                    } else if Self.equals(name, "REQUEST_URI") {
                        uri = value
                    } else if Self.equals(name, "QUERY_STRING") {
                        query = value
                    } else if Self.equals(name, "CONTENT_TYPE") {
                        headers["content-type"] = value
                    } else if Self.equals(name, "CONTENT_LENGTH") {
                        contentLength = Int(value) ?? 0
                        headers["content-length"] = value
                    } else if name.count > 5, Self.equals(UnsafeRawBufferPointer(rebasing: name[..<5]), "HTTP_") {
                        headers[Self.headerName(UnsafeRawBufferPointer(rebasing: name[5...]))] = value
                    }
                }
                env += 1
            }
        }
        let path = uri.utf8.firstIndex(of: UInt8(ascii: "?")).map { String(uri[..<$0]) } ?? uri
        if contentLength > maxBodyBytes || contentLength < 0 {
            // Refused before a byte of it is read; nginx's client_max_body_size normally stops it earlier.
            let request = Request(method: method, path: path, query: query, lowercasedHeaders: headers, body: [])
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
        // Every name above is written lower-case (`headerName`, the two literals), as this init requires.
        let request = Request(method: method, path: path, query: query, lowercasedHeaders: headers, body: body)
        return service.handleWithOutcome(request)
    }

    /// Whether the parameter name `bytes` is exactly `name` (ASCII).
    static func equals(_ bytes: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        bytes.count == name.utf8CodeUnitCount && memcmp(bytes.baseAddress!, name.utf8Start, bytes.count) == 0
    }

    /// The header name of a CGI `HTTP_<NAME>` parameter: `X_AMZ_TARGET` → `x-amz-target`.
    static func headerName(_ bytes: UnsafeRawBufferPointer) -> String {
        guard bytes.allSatisfy({ $0 < 0x80 }) else {
            // Not what nginx sends (it passes only [A-Za-z0-9_-] names); kept exact for anything else.
            return String(decoding: bytes, as: UTF8.self).lowercased().replacingOccurrences(of: "_", with: "-")
        }
        return String(unsafeUninitializedCapacity: bytes.count) { out in
            for (i, b) in bytes.enumerated() {
                switch b {
                case UInt8(ascii: "_"): out[i] = UInt8(ascii: "-")
                case UInt8(ascii: "A")...UInt8(ascii: "Z"): out[i] = b + 32
                default: out[i] = b
                }
            }
            return bytes.count
        }
    }

    /// The CGI response: `Status:` line, headers and `Content-Length` in one small buffer, then the body as it is
    /// (libfcgi buffers both into the same FastCGI records).
    private func write(_ response: Response, to fcgi: UnsafeMutablePointer<FCGX_Request>) {
        var head: [UInt8] = []
        head.reserveCapacity(160 + response.headers.count * 48)
        head.append(contentsOf: "Status: ".utf8)
        head.append(contentsOf: String(response.status).utf8)
        head.append(UInt8(ascii: " "))
        head.append(contentsOf: Self.reason(response.status).utf8)
        head.append(contentsOf: "\r\n".utf8)
        for (name, value) in response.headers {
            head.append(contentsOf: name.utf8)
            head.append(contentsOf: ": ".utf8)
            head.append(contentsOf: value.utf8)
            head.append(contentsOf: "\r\n".utf8)
        }
        head.append(contentsOf: "Content-Length: ".utf8)
        head.append(contentsOf: String(response.body.count).utf8)
        head.append(contentsOf: "\r\n\r\n".utf8)
        Self.put(head, fcgi)
        Self.put(response.body, fcgi)
    }

    private static func put(_ bytes: [UInt8], _ fcgi: UnsafeMutablePointer<FCGX_Request>) {
        guard !bytes.isEmpty else { return }
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

/// The access line (one per request at `info`), written exactly as swift-log's `StreamLogHandler` writes it —
/// `2025-01-31T12:00:00+0000 info cognito-fcgi: id=... op=... status=200 type=- us=123 [CognitoFCGI] request` — but
/// formatted into a buffer this thread reuses, with the timestamp formatted once a second, and written with one
/// `write(2)` to standard error, without the `FILE` lock every thread's line would otherwise queue on. Through
/// swift-log the line cost 15–25 µs of CPU per request, ~10 % of a cheap operation (docs/BENCHMARKS.md).
///
/// Used only where it changes nothing but the cost: the logger's handler is swift-log's `StreamLogHandler` (what
/// `serve` bootstraps, on standard error), at `info` or below, with no metadata of its own or from a provider.
/// Any other logging setup gets the line through the logger as before.
struct AccessLine {
    private var second: time_t = -1
    private var stamp: [UInt8] = []
    private var buffer: [UInt8] = []

    static func canReplace(_ logger: Logger) -> Bool {
        guard logger.logLevel <= .info, let handler = logger.handler as? StreamLogHandler else { return false }
        return handler.metadata.isEmpty && handler.metadataProvider == nil
    }

    mutating func write(label: String, outcome: Service.Outcome, micros: UInt64) {
        var now = time(nil)
        if now != second {
            // StreamLogHandler's format: local time, "%Y-%m-%dT%H:%M:%S%z".
            var parts = tm()
            localtime_r(&now, &parts)
            var text = [CChar](repeating: 0, count: 64)
            let n = strftime(&text, text.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
            stamp = text[..<n].map { UInt8(bitPattern: $0) }
            second = now
        }
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: stamp)
        buffer.append(contentsOf: " info ".utf8)
        buffer.append(contentsOf: label.utf8)
        // Metadata sorted by key, as StreamLogHandler prints it: id, op, status, type, us.
        buffer.append(contentsOf: ": id=".utf8)
        buffer.append(contentsOf: outcome.requestId.utf8)
        buffer.append(contentsOf: " op=".utf8)
        buffer.append(contentsOf: (outcome.operation ?? "-").utf8)
        buffer.append(contentsOf: " status=".utf8)
        buffer.append(contentsOf: String(outcome.status).utf8)
        buffer.append(contentsOf: " type=".utf8)
        buffer.append(contentsOf: (outcome.errorType ?? "-").utf8)
        buffer.append(contentsOf: " us=".utf8)
        buffer.append(contentsOf: String(micros).utf8)
        buffer.append(contentsOf: " [CognitoFCGI] request\n".utf8)
        buffer.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                let n = Glibc.write(2, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return  // as StreamLogHandler: a log that cannot be written is dropped
                }
                done += n
            }
        }
    }
}

/// Signal plumbing for the workers and the process supervisor.
enum Signals {
    /// A write to a connection nginx has closed fails with EPIPE instead of killing the process.
    static func ignoreBrokenPipes() {
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
