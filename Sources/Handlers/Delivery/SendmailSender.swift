import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Delivers email through a sendmail-compatible command (`/usr/sbin/sendmail -t -i`, msmtp, Postfix's or Exim's
/// `sendmail`): an RFC 5322 message on the command's stdin, recipients taken from its `To:` header (`-t`).
///
/// - The command runs without a shell (`command` is its argv), in its own process group, with stdout to
///   /dev/null; the first bytes of its stderr go to the log. A spawn failure, a non-zero exit, death by a
///   signal, a command that stops reading before the whole message, or no exit within `timeout` (the process
///   group is then killed) is `CodeDeliveryFailureException`.
/// - Header injection is impossible: every header value has CR, LF and other control characters replaced by
///   spaces, and a destination that is not one plain `local@domain` address is refused (with `-t`, a comma in
///   `To:` would add recipients).
/// - SMS cannot go through sendmail. SMS messages go to `smsSender` when one is given (the deployment passes an
///   `OutboxSender`), and otherwise fail with `CodeDeliveryFailureException`.
/// - The pool's own `From` (DEVELOPER sending account) is used when the message carries one; otherwise `from`.
/// - Children are waited for by pid (`waitpid(pid)`); the process must not reap children with `waitpid(-1)`.
/// - A simulated email delivery (`rehearse`) runs no command: the time the command takes is not mirrored, so under
///   PreventUserExistenceErrors ENABLED an email sent through it takes longer than a simulated one (README). A
///   simulated SMS is rehearsed by `smsSender`, and fails as a real one would without it.
public struct SendmailSender: Sender {
    public var command: [String]
    public var from: String
    public var timeout: TimeInterval
    public var smsSender: (any Sender)?
    private let random: any RandomSource
    private let logger: Logger

    public static let defaultCommand = ["/usr/sbin/sendmail", "-t", "-i"]

    public init(
        command: [String] = SendmailSender.defaultCommand, from: String = "no-reply@localhost",
        timeout: TimeInterval = 10, smsSender: (any Sender)? = nil, random: any RandomSource = SystemRandom(),
        logger: Logger = Logger(label: "cognito-fcgi.sendmail")
    ) {
        self.command = command
        self.from = from
        self.timeout = timeout
        self.smsSender = smsSender
        self.random = random
        self.logger = logger
    }

    public func rehearse(_ medium: DeliveryMediumType) throws(AWSError) {
        guard medium != .email else { return }
        guard let smsSender else {
            logger.error("no SMS delivery configured")
            throw AWSError.deliveryFailed
        }
        try smsSender.rehearse(medium)
    }

    public func send(_ message: Message) throws(AWSError) {
        guard message.medium == .email else {
            guard let smsSender else {
                logger.error("no SMS delivery configured", metadata: message.logMetadata)
                throw AWSError.deliveryFailed
            }
            return try smsSender.send(message)
        }
        guard !command.isEmpty, Self.isPlainAddress(message.destination) else {
            logger.error("refused: no command or not a plain email address", metadata: message.logMetadata)
            throw AWSError.deliveryFailed
        }
        let bytes = Self.rfc5322(
            message, defaultFrom: from, messageID: Self.messageID(for: message, from: from, random: random))
        let result = Self.run(command, input: bytes, timeout: timeout)
        var metadata = message.logMetadata
        switch result {
        case .exited(0, _):
            logger.info("message handed to sendmail", metadata: metadata)
        default:
            metadata["result"] = "\(result)"
            logger.error("sendmail failed", metadata: metadata)
            throw AWSError.deliveryFailed
        }
    }

    // MARK: The message

    /// The message as sendmail reads it: headers, a blank line, the body; lines end in LF (the local convention
    /// sendmail-compatible commands expect on stdin).
    static func rfc5322(_ message: Message, defaultFrom: String, messageID: String) -> [UInt8] {
        var headers: [String] = []
        headers.append("From: " + headerValue(message.from ?? defaultFrom))
        headers.append("To: " + headerValue(message.destination))
        if let replyTo = message.replyTo, !replyTo.isEmpty { headers.append("Reply-To: " + headerValue(replyTo)) }
        headers.append("Subject: " + encodedSubject(headerValue(message.subject ?? "")))
        headers.append("Date: " + rfc5322Date(message.date))
        headers.append("Message-ID: " + messageID)
        headers.append("MIME-Version: 1.0")
        headers.append("Content-Type: text/plain; charset=utf-8")
        // RFC 3834: mark as automatic so that vacation responders do not answer it.
        headers.append("Auto-Submitted: auto-generated")

        var body = message.body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        if !body.hasSuffix("\n") { body += "\n" }
        let plain =
            body.utf8.allSatisfy { $0 < 0x80 } && body.split(separator: "\n").allSatisfy { $0.utf8.count <= 998 }
        if plain {
            headers.append("Content-Transfer-Encoding: 7bit")
        } else {
            headers.append("Content-Transfer-Encoding: base64")
            let encoded = Data(body.utf8).base64EncodedString()
            var lines: [Substring] = []
            var rest = Substring(encoded)
            while !rest.isEmpty {
                lines.append(rest.prefix(76))
                rest = rest.dropFirst(76)
            }
            body = lines.joined(separator: "\n") + "\n"
        }
        return Array((headers.joined(separator: "\n") + "\n\n" + body).utf8)
    }

    /// A header value on one line: CR, LF, every other control character and the Unicode line separators become
    /// spaces, so no value can start a header of its own.
    static func headerValue(_ value: String) -> String {
        String(
            String.UnicodeScalarView(
                value.unicodeScalars.map { s -> Unicode.Scalar in
                    switch s.value {
                    case 0..<0x20, 0x7F, 0x80..<0xA0, 0x2028, 0x2029: return " "
                    default: return s
                    }
                }))
    }

    /// An ASCII subject as it is; any other as RFC 2047 encoded words (UTF-8, base64), each under 76 characters,
    /// folded onto continuation lines.
    static func encodedSubject(_ subject: String) -> String {
        if subject.utf8.allSatisfy({ $0 < 0x80 }) { return subject }
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in subject {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45, !chunk.isEmpty {
                words.append("=?utf-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?utf-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words.joined(separator: "\n ")
    }

    /// One `local@domain` address with nothing that could name a second recipient or break a header.
    ///
    /// Judged scalar by scalar, never by `Character`: a `,` followed by a combining mark is one Character that is not
    /// a comma, yet the comma reaches sendmail. And no scalar `headerValue` would rewrite (C0 and C1 controls, the
    /// line and paragraph separators), so the `To:` written is exactly the address checked.
    static func isPlainAddress(_ address: String) -> Bool {
        let scalars = Array(address.unicodeScalars)
        guard address.utf8.count <= 254, let at = scalars.lastIndex(of: "@"), at > 0, at < scalars.count - 1,
            scalars.firstIndex(of: "@") == at, scalars.first != "-"
        else { return false }
        let forbidden = Set(" \t,;:<>()[]\\\"'`|".unicodeScalars)
        return scalars.allSatisfy { s in
            !forbidden.contains(s) && s.value > 0x20 && !(0x7F..<0xA0).contains(s.value) && s.value != 0x2028
                && s.value != 0x2029
        }
    }

    static func messageID(for message: Message, from: String, random: any RandomSource) -> String {
        let sender = headerValue(message.from ?? from)
        var domain = "cognito-fcgi.invalid"
        if let at = sender.lastIndex(of: "@") {
            let candidate = sender[sender.index(after: at)...].filter {
                $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-")
            }
            if !candidate.isEmpty { domain = String(candidate) }
        }
        return "<" + Hex.encode(random.bytes(16)) + "@" + domain + ">"
    }

    /// `Tue, 01 Jul 2025 12:00:00 +0000`.
    static func rfc5322Date(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&t, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return
            "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) +0000"
    }

    // MARK: Running the command

    enum RunResult: Equatable, CustomStringConvertible {
        case exited(Int32, stderr: String)
        case signaled(Int32, stderr: String)
        case timedOut
        case spawnFailed(Int32)
        case inputNotConsumed(stderr: String)

        var description: String {
            switch self {
            case .exited(let code, let err): return "exit status \(code)" + (err.isEmpty ? "" : ": \(err)")
            case .signaled(let sig, let err): return "killed by signal \(sig)" + (err.isEmpty ? "" : ": \(err)")
            case .timedOut: return "timed out"
            case .spawnFailed(let code): return "could not start: \(String(cString: strerror(code)))"
            case .inputNotConsumed(let err): return "did not read the whole message" + (err.isEmpty ? "" : ": \(err)")
            }
        }
    }

    /// Runs `argv` with `input` on its stdin, waiting at most `timeout` seconds. Stdin and stderr are socket
    /// pairs rather than pipes: writing to a command that has gone away then fails with EPIPE instead of raising
    /// SIGPIPE (`MSG_NOSIGNAL`), and `SOCK_CLOEXEC` creates them close-on-exec atomically (Glibc's Swift module
    /// has no `pipe2`), so commands started at the same moment by other threads never inherit them (an
    /// inherited copy of the stdin end would keep our command from ever seeing EOF).
    static func run(_ argv: [String], input: [UInt8], timeout: TimeInterval) -> RunResult {
        var stdinPair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &stdinPair) == 0 else {
            return .spawnFailed(errno)
        }
        var stderrPair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &stderrPair) == 0 else {
            let code = errno
            close(stdinPair[0])
            close(stdinPair[1])
            return .spawnFailed(code)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPair[1], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stderrPair[1], 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // Its own process group, so that a timeout kills whatever the command started as well.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for arg in cArgs { free(arg) } }
        var pid: pid_t = 0
        let rc: Int32
        if argv[0].contains("/") {
            rc = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, environ)
        } else {
            rc = posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, environ)
        }
        close(stdinPair[1])
        close(stderrPair[1])
        guard rc == 0 else {
            close(stdinPair[0])
            close(stderrPair[0])
            return .spawnFailed(rc)
        }
        return supervise(pid: pid, stdin: stdinPair[0], stderr: stderrPair[0], input: input, timeout: timeout)
    }

    private static func supervise(pid: pid_t, stdin: Int32, stderr: Int32, input: [UInt8], timeout: TimeInterval)
        -> RunResult
    {
        var stdinFD: Int32 = stdin
        var stderrFD: Int32 = stderr
        defer {
            if stdinFD >= 0 { close(stdinFD) }
            if stderrFD >= 0 { close(stderrFD) }
        }
        let deadline = monotonicSeconds() + timeout
        var written = 0
        var errorText: [UInt8] = []
        var status: Int32 = 0
        var exited = false

        func closeStdin() {
            if stdinFD >= 0 { close(stdinFD) }
            stdinFD = -1
        }
        func readStderr() {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = buffer.withUnsafeMutableBytes { read(stderrFD, $0.baseAddress, $0.count) }
            if n > 0 {
                if errorText.count < 512 { errorText += buffer[0..<min(n, 512 - errorText.count)] }
            } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                close(stderrFD)
                stderrFD = -1
            }
        }

        if input.isEmpty { closeStdin() }
        while true {
            if !exited {
                let r = waitpid(pid, &status, WNOHANG)
                if r == pid {
                    exited = true
                } else if r < 0 && errno != EINTR {
                    // Someone else reaped our child: its status is lost.
                    return .exited(-1, stderr: "child status unavailable (errno \(errno))")
                }
            }
            // Once the command has exited, do not wait for EOF on stderr: a daemon it forked may hold it open.
            if exited {
                if stderrFD >= 0 {
                    var pfd = pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)
                    if poll(&pfd, 1, 0) > 0 { readStderr() }
                }
                break
            }
            let remaining = deadline - monotonicSeconds()
            if remaining <= 0 {
                kill(-pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return .timedOut
            }
            var fds: [pollfd] = []
            if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            if stderrFD >= 0 { fds.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
            // Poll in short slices: the child's exit is noticed by waitpid, not by a descriptor.
            let slice = Int32(min(remaining, 0.02) * 1000) + 1
            if fds.isEmpty {
                usleep(UInt32(slice) * 1000)
                continue
            }
            let ready = poll(&fds, nfds_t(fds.count), slice)
            if ready <= 0 { continue }
            for pfd in fds where pfd.revents != 0 {
                if pfd.fd == stdinFD {
                    if pfd.revents & Int16(POLLOUT) != 0 {
                        let n = input.withUnsafeBytes { buf in
                            Glibc.send(
                                stdinFD, buf.baseAddress! + written, buf.count - written,
                                Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
                        }
                        if n > 0 {
                            written += n
                            if written == input.count { closeStdin() }
                        } else if n < 0 && errno != EINTR && errno != EAGAIN {
                            closeStdin()
                        }
                    } else {
                        closeStdin()
                    }
                } else if pfd.fd == stderrFD {
                    readStderr()
                }
            }
        }
        let err = String(decoding: errorText, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let termsig = status & 0x7F
        if termsig != 0 && termsig != 0x7F { return .signaled(termsig, stderr: err) }
        let code = (status >> 8) & 0xFF
        if code == 0 && written < input.count { return .inputNotConsumed(stderr: err) }
        return .exited(code, stderr: err)
    }

    private static func monotonicSeconds() -> TimeInterval {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return TimeInterval(ts.tv_sec) + TimeInterval(ts.tv_nsec) / 1e9
    }
}
