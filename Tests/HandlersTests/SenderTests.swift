import Foundation
import Logging
import Testing

@testable import Handlers

#if canImport(Glibc)
    import Glibc
#endif

/// Senders log every delivery; the tests keep quiet.
private let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

struct SenderTests {
    let date = Date(timeIntervalSince1970: 1_790_000_000)

    func message(
        _ n: Int = 0, medium: DeliveryMediumType = .email, to destination: String = "amy@example.com",
        subject: String? = "Your verification code", body: String? = nil
    ) -> Message {
        Message(
            kind: .signUp, medium: medium, destination: destination,
            attributeName: medium == .email ? "email" : "phone_number",
            subject: medium == .email ? subject : nil, body: body ?? "Your verification code is 10000\(n). ",
            code: "10000\(n)", poolId: "us-east-1_test", username: "amy\(n)", date: date)
    }

    func mode(_ path: String) -> mode_t {
        var st = stat()
        stat(path, &st)
        return st.st_mode & 0o777
    }

    // MARK: Outbox

    @Test func theOutboxHoldsOnePrivateFilePerMessageInOrder() throws {
        let dir = TempDirectory()
        let clock = TestClock()
        let outbox = OutboxSender(directory: dir.path + "/data/outbox", clock: clock, logger: quiet)
        for n in 0..<5 { try outbox.send(message(n)) }
        let names = try OutboxSender.files(in: outbox.directory)
        #expect(names.count == 5)
        for name in names {
            #expect(name.wholeMatch(of: /[0-9]{20}-[0-9a-f]{16}\.json/) != nil)
            #expect(mode(outbox.directory + "/" + name) == 0o600)
        }
        #expect(mode(outbox.directory) == 0o700)
        // The clock stood still, yet the messages come back in the order they were sent.
        let back = try outbox.messages()
        #expect(back == (0..<5).map { message($0) })
        #expect(back.map(\.code) == ["100000", "100001", "100002", "100003", "100004"])
    }

    @Test func outboxNamesFollowTheClock() throws {
        let dir = TempDirectory()
        let clock = TestClock()
        let outbox = OutboxSender(directory: dir.path, clock: clock, logger: quiet)
        try outbox.send(message(1))
        clock.advance(3600)
        try outbox.send(message(2))
        let names = try OutboxSender.files(in: dir.path)
        #expect(names.count == 2)
        #expect(names.first?.hasPrefix("01790000000000000000-") == true)
        #expect(names.last?.hasPrefix("01790003600000000000-") == true)
        #expect(try OutboxSender.messages(in: dir.path).map(\.username) == ["amy1", "amy2"])
    }

    @Test func theOutboxFileIsTheMessagesJSON() throws {
        let dir = TempDirectory()
        let outbox = OutboxSender(directory: dir.path, logger: quiet)
        var m = message(7)
        m.temporaryPassword = "Tmp#pass1"
        m.replyTo = "help@example.com"
        try outbox.send(m)
        let name = try #require(try OutboxSender.files(in: dir.path).first)
        let json = try JSON.parse(try #require(try FileSystem.read(dir.path + "/" + name)))
        #expect(json["Destination"] == "amy@example.com")
        #expect(json["DeliveryMedium"] == "EMAIL")
        #expect(json["Code"] == "100007")
        #expect(json["TemporaryPassword"] == "Tmp#pass1")
        #expect(json["Subject"] == "Your verification code")
        #expect(json["UserPoolId"] == "us-east-1_test")
        #expect(json["Username"] == "amy7")
        #expect(json["Kind"] == "SignUp")
        #expect(json["Date"] == .int(1_790_000_000))
        #expect(try Message(json: json) == m)
    }

    @Test func concurrentSendsProduceDistinctFiles() throws {
        let dir = TempDirectory()
        // Two senders on one folder stand for two worker processes.
        let senders = [
            OutboxSender(directory: dir.path, logger: quiet), OutboxSender(directory: dir.path, logger: quiet),
        ]
        let failures = NSLock()
        nonisolated(unsafe) var failed = 0
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for n in 0..<25 {
                do {
                    try senders[thread % 2].send(message(thread * 100 + n))
                } catch {
                    failures.withLock { failed += 1 }
                }
            }
        }
        #expect(failed == 0)
        let names = try OutboxSender.files(in: dir.path)
        #expect(names.count == 200)
        #expect(Set(names).count == 200)
        let usernames = try OutboxSender.messages(in: dir.path).map(\.username)
        #expect(Set(usernames).count == 200)
        // No temp files left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).count == 200)
    }

    @Test func anUnwritableOutboxIsADeliveryFailure() throws {
        let dir = TempDirectory()
        _ = FileManager.default.createFile(atPath: dir.path + "/file", contents: Data())
        let outbox = OutboxSender(directory: dir.path + "/file/outbox", logger: quiet)
        #expect(throws: AWSError(.codeDeliveryFailure, "Unable to deliver the message.")) {
            try outbox.send(message())
        }
    }

    @Test func aMissingOutboxHoldsNoMessages() throws {
        #expect(try OutboxSender.messages(in: "/nonexistent/outbox").isEmpty)
    }

    @Test func messagesNeverPrintTheirSecrets() {
        let m = message(3)
        let text = "\(m) \(String(reflecting: m)) \(m.logMetadata)"
        #expect(!text.contains("100003"))
        #expect(!text.contains("amy@example.com"))
        #expect(text.contains("a***@e***"))
    }

    // MARK: sendmail

    /// A fake sendmail: a shell script in a temp folder. Written through a close-on-exec descriptor: a child
    /// that other tests start meanwhile must not inherit it, or running the script fails with ETXTBSY.
    func script(_ dir: TempDirectory, _ body: String) throws -> String {
        let path = dir.path + "/fake-sendmail"
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o755)
        try #require(fd >= 0)
        try FileSystem.writeAll(fd, Array(("#!/bin/sh\n" + body + "\n").utf8), path: path)
        close(fd)
        return path
    }

    func capturing(_ dir: TempDirectory) throws -> SendmailSender {
        let path = try script(dir, "printf '%s\\n' \"$@\" > '\(dir.path)/args'\ncat > '\(dir.path)/mail.eml'")
        return SendmailSender(
            command: [path, "-t", "-i"], from: "Cognito <no-reply@auth.example.org>", timeout: 5, logger: quiet)
    }

    func captured(_ dir: TempDirectory) throws -> String {
        try String(contentsOfFile: dir.path + "/mail.eml", encoding: .utf8)
    }

    @Test func sendmailGetsAnRFC5322Message() throws {
        let dir = TempDirectory()
        try capturing(dir).send(message(1))
        let mail = try captured(dir)
        let parts = mail.components(separatedBy: "\n\n")
        let headers = parts[0].components(separatedBy: "\n")
        #expect(headers.contains("From: Cognito <no-reply@auth.example.org>"))
        #expect(headers.contains("To: amy@example.com"))
        #expect(headers.contains("Subject: Your verification code"))
        #expect(headers.contains("Date: Mon, 21 Sep 2026 14:13:20 +0000"))
        #expect(headers.contains("MIME-Version: 1.0"))
        #expect(headers.contains("Content-Type: text/plain; charset=utf-8"))
        #expect(headers.contains("Content-Transfer-Encoding: 7bit"))
        #expect(headers.contains { $0.wholeMatch(of: /Message-ID: <[0-9a-f]{32}@auth\.example\.org>/) != nil })
        #expect(parts[1] == "Your verification code is 100001. \n")
        #expect(try String(contentsOfFile: dir.path + "/args", encoding: .utf8) == "-t\n-i\n")
    }

    @Test func thePoolsFromAndReplyToAreUsed() throws {
        let dir = TempDirectory()
        var m = message()
        m.from = "My App <hello@myapp.example>"
        m.replyTo = "support@myapp.example"
        try capturing(dir).send(m)
        let mail = try captured(dir)
        #expect(mail.contains("\nReply-To: support@myapp.example\n"))
        #expect(mail.hasPrefix("From: My App <hello@myapp.example>\n"))
        #expect(mail.contains("@myapp.example>\n"))
    }

    @Test func headerInjectionIsStripped() throws {
        let dir = TempDirectory()
        try capturing(dir).send(message(subject: "Hello\r\nBcc: victim@example.net\nX-Evil: 1\u{2028}X-Also: 2"))
        let mail = try captured(dir)
        let headers = mail.components(separatedBy: "\n\n")[0].components(separatedBy: "\n")
        #expect(!headers.contains { $0.hasPrefix("Bcc:") || $0.hasPrefix("X-Evil") || $0.hasPrefix("X-Also") })
        #expect(headers.contains("Subject: Hello  Bcc: victim@example.net X-Evil: 1 X-Also: 2"))
    }

    @Test(arguments: [
        "amy@example.com\r\nBcc: victim@example.net", "amy@example.com, victim@example.net",
        "Amy <amy@example.com>", "amy@example.com;victim@example.net", "no-at-sign", "-oQ/tmp@x", "@example.com",
        // A comma or a leading dash joined to a combining mark is one Character but still a comma or a dash for
        // sendmail; C1 controls and line separators would be rewritten in the header (found by a security audit).
        "root,\u{301}x@example.com", "victim@\u{301}corp.example,\u{301}attacker@evil.example", "-\u{301}oQ@x",
        "a\u{80}b@example.com", "a\u{85}b@example.com", "a\u{2028}b@example.com", "amy@", "a@b@c",
    ])
    func destinationsThatAreNotOnePlainAddressAreRefused(_ destination: String) throws {
        #expect(!SendmailSender.isPlainAddress(destination))
        let dir = TempDirectory()
        #expect(throws: AWSError.deliveryFailed) { try capturing(dir).send(message(to: destination)) }
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/mail.eml"))
    }

    @Test func nonASCIISubjectsAndBodiesAreEncoded() throws {
        let dir = TempDirectory()
        let subject = "Votre code de vérification — ünïcödé ✓ " + String(repeating: "é", count: 40)
        let body = "Bonjour Zoë,\nvotre code est 123456.\n"
        try capturing(dir).send(message(subject: subject, body: body))
        let mail = try captured(dir)
        let split = try #require(mail.range(of: "\n\n"))
        let head = String(mail[..<split.lowerBound])
        #expect(head.utf8.allSatisfy { $0 < 0x80 })
        #expect(head.contains("Content-Transfer-Encoding: base64"))
        // Unfold and decode the encoded words.
        let subjectLine = head.replacingOccurrences(of: "\n ", with: " ").components(separatedBy: "\n")
            .first { $0.hasPrefix("Subject: ") }
        let words = try #require(subjectLine).dropFirst("Subject: ".count).split(separator: " ")
        var decoded = Data()
        for word in words {
            #expect(word.hasPrefix("=?utf-8?B?") && word.hasSuffix("?="))
            #expect(word.count <= 75)
            decoded += try #require(Data(base64Encoded: String(word.dropFirst(10).dropLast(2))))
        }
        #expect(String(decoding: decoded, as: UTF8.self) == subject)
        let encodedBody = mail[split.upperBound...].replacingOccurrences(of: "\n", with: "")
        #expect(String(decoding: try #require(Data(base64Encoded: encodedBody)), as: UTF8.self) == body)
    }

    @Test func aFailingCommandIsADeliveryFailure() throws {
        let dir = TempDirectory()
        let path = try script(dir, "cat > /dev/null\necho 'mail: relay refused' >&2\nexit 1")
        let sender = SendmailSender(command: [path], timeout: 5, logger: quiet)
        #expect(throws: AWSError(.codeDeliveryFailure, "Unable to deliver the message.")) { try sender.send(message()) }
        let result = SendmailSender.run([path], input: Array("x\n".utf8), timeout: 5)
        #expect(result == .exited(1, stderr: "mail: relay refused"))
    }

    @Test func aCommandThatCannotStartIsADeliveryFailure() throws {
        let sender = SendmailSender(command: ["/nonexistent/sendmail", "-t"], timeout: 5, logger: quiet)
        #expect(throws: AWSError.deliveryFailed) { try sender.send(message()) }
        #expect(SendmailSender.run(["/nonexistent/sendmail"], input: [], timeout: 5) == .spawnFailed(ENOENT))
    }

    @Test func aCommandThatHangsIsKilledAtTheTimeout() throws {
        let dir = TempDirectory()
        let path = try script(dir, "exec sleep 30")
        let sender = SendmailSender(command: [path], timeout: 0.3, logger: quiet)
        let start = Date()
        #expect(throws: AWSError.deliveryFailed) { try sender.send(message()) }
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func aTimeoutKillsWhatTheCommandStarted() throws {
        let dir = TempDirectory()
        let path = try script(dir, "sleep 30 &\necho $! > '\(dir.path)/child'\nwait")
        #expect(SendmailSender.run([path], input: Array("x".utf8), timeout: 0.5) == .timedOut)
        let text = try String(contentsOfFile: dir.path + "/child", encoding: .utf8)
        let child = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        // Gone, or a zombie waiting for a reaper: either way no longer running.
        func running() -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8) else { return false }
            return !stat.contains(") Z ")
        }
        for _ in 0..<100 where running() { usleep(20_000) }
        #expect(!running())
    }

    @Test func aCommandThatIgnoresItsInputHasNotDelivered() throws {
        let dir = TempDirectory()
        let path = try script(dir, "exit 0")
        let result = SendmailSender.run([path], input: [UInt8](repeating: 0x41, count: 8 << 20), timeout: 5)
        #expect(result == .inputNotConsumed(stderr: ""))
    }

    @Test func aCommandKilledByASignalHasNotDelivered() throws {
        let dir = TempDirectory()
        let path = try script(dir, "cat > /dev/null\nkill -9 $$")
        #expect(SendmailSender.run([path], input: Array("x".utf8), timeout: 5) == .signaled(9, stderr: ""))
    }

    @Test func concurrentSendmailRunsDoNotHoldEachOthersInput() throws {
        // Each child must see EOF on its stdin even while other threads start children of their own.
        let dir = TempDirectory()
        let path = try script(dir, "cat > /dev/null")
        nonisolated(unsafe) var results = [SendmailSender.RunResult?](repeating: nil, count: 8)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let r = SendmailSender.run([path], input: Array("message \(i)\n".utf8), timeout: 10)
            lock.withLock { results[i] = r }
        }
        #expect(results.allSatisfy { $0 == .exited(0, stderr: "") })
    }

    @Test func smsGoesToTheSMSSenderOrFails() throws {
        let dir = TempDirectory()
        let sms = message(medium: .sms, to: "+15555550123")
        let bare = try capturing(dir)
        #expect(throws: AWSError.deliveryFailed) { try bare.send(sms) }
        var withOutbox = bare
        withOutbox.smsSender = OutboxSender(directory: dir.path + "/outbox", logger: quiet)
        try withOutbox.send(sms)
        #expect(try OutboxSender.messages(in: dir.path + "/outbox") == [sms])
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/mail.eml"))
    }

    /// A simulated delivery does a real one's work and fails where it would, and delivers nothing: the outbox writes
    /// a file of its own and removes it; sendmail runs no command for an email, and hands an SMS to its SMS sender
    /// (without one, the failure a real SMS gets).
    @Test func rehearsalsDoTheWorkOfADeliveryAndDeliverNothing() throws {
        let dir = TempDirectory()
        let outbox = OutboxSender(directory: dir.path + "/outbox", logger: quiet)
        let folder = dir.path + "/outbox"
        try outbox.rehearse(.email)
        var st = stat()
        #expect(stat(folder, &st) == 0, "the outbox folder is made, as a first message makes it")
        #expect(try Harness.entriesChanged(in: [folder]) { try outbox.rehearse(.sms) } == [true],
                "no entry was made and removed")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)

        let bare = try capturing(dir)
        try bare.rehearse(.email)
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/args"), "the command ran")
        #expect(throws: AWSError.deliveryFailed) { try bare.rehearse(.sms) }
        var withOutbox = bare
        withOutbox.smsSender = outbox
        #expect(try Harness.entriesChanged(in: [folder]) { try withOutbox.rehearse(.sms) } == [true])
        #expect(try OutboxSender.messages(in: folder).isEmpty)
        #expect(throws: AWSError(.codeDeliveryFailure, "Unable to deliver the message.")) {
            try OutboxSender(directory: dir.path + "/fake-sendmail/outbox", logger: quiet).rehearse(.email)
        }
    }
}
