import Foundation
import Testing

@testable import Handlers

/// Random bytes from a fixed script, then zeros.
private struct ScriptedRandom: RandomSource {
    let script: [UInt8]
    func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { $0 < script.count ? script[$0] : 0 }
    }
}

struct VerificationCodeTests {
    let secret = SystemRandom().bytes(32)
    let t0 = Date(timeIntervalSince1970: 1_790_000_000)

    func issue(_ purpose: CodePurpose = .signUp, at now: Date? = nil, replacing previous: VerificationCode? = nil)
        -> (code: String, record: VerificationCode)
    {
        // A counted request never throws.
        try! VerificationCode.issue(purpose, now: now ?? t0, random: SystemRandom(), secret: secret, replacing: previous)
    }

    func wrong(_ code: String) -> String {
        String(code.map { $0 == "9" ? "0" : Character(String(Int(String($0))! + 1)) })
    }

    // MARK: Generation

    @Test func codesAreSixDigitsAndVary() {
        let codes = (0..<200).map { _ in issue().code }
        for code in codes {
            #expect(code.count == 6)
            #expect(code.allSatisfy { $0.isASCII && $0.isNumber })
        }
        #expect(Set(codes).count > 190)
        // Every digit turns up in every position over 200 codes (a stuck digit would show).
        for position in 0..<6 {
            let digits = Set(codes.map { Array($0)[position] })
            #expect(digits.count == 10)
        }
    }

    @Test func digitsAreDrawnWithoutModuloBias() throws {
        // Bytes 250...255 would favour 0...5 if reduced modulo 10; they must be skipped.
        let random = ScriptedRandom(script: [255, 250, 253, 1, 2, 3, 4, 5, 6])
        let (code, _) = try VerificationCode.issue(.signUp, now: t0, random: random, secret: secret)
        #expect(code == "123456")
    }

    @Test func lifetimesAreAWSs() {
        #expect(CodePurpose.signUp.lifetime == 24 * 3600)
        #expect(CodePurpose.attribute("email").lifetime == 24 * 3600)
        #expect(CodePurpose.forgotPassword.lifetime == 3600)
        let (_, record) = issue(.forgotPassword)
        #expect(record.issuedAt == t0)
        #expect(record.expiresAt == t0 + 3600)
    }

    @Test(arguments: [CodePurpose.signUp, .forgotPassword, .attribute("email"), .attribute("phone_number")])
    func purposeKeysRoundTrip(_ purpose: CodePurpose) {
        #expect(CodePurpose(key: purpose.key) == purpose)
    }

    @Test func unknownPurposeKeysAreRefused() {
        #expect(CodePurpose(key: "Attribute:") == nil)
        #expect(CodePurpose(key: "signup") == nil)
    }

    // MARK: Checking

    @Test func theRightCodeIsAccepted() {
        var (code, record) = issue()
        #expect(record.check(code, now: t0 + 60, secret: secret) == .ok)
        #expect(record.attempts == 0)
    }

    @Test func expiryIsExactAtTheBoundary() {
        let (code, record) = issue(.signUp)
        var before = record
        #expect(before.check(code, now: record.expiresAt - 0.001, secret: secret) == .ok)
        var at = record
        #expect(at.check(code, now: t0 + 24 * 3600, secret: secret) == .expired)
        var after = record
        #expect(after.check(code, now: t0 + 24 * 3600 + 1, secret: secret) == .expired)
    }

    @Test func forgotPasswordCodesLastAnHour() {
        let (code, record) = issue(.forgotPassword)
        var inTime = record
        #expect(inTime.check(code, now: t0 + 3599, secret: secret) == .ok)
        var late = record
        #expect(late.check(code, now: t0 + 3600, secret: secret) == .expired)
    }

    @Test func aWrongCodeIsAMismatchAndCounts() {
        var (code, record) = issue()
        #expect(record.check(wrong(code), now: t0, secret: secret) == .mismatch)
        #expect(record.attempts == 1)
        #expect(record.check("", now: t0, secret: secret) == .mismatch)
        #expect(record.check(code + "0", now: t0, secret: secret) == .mismatch)
        #expect(record.attempts == 3)
        #expect(record.check(code, now: t0, secret: secret) == .ok)
    }

    @Test func fiveWrongCodesKillTheCode() {
        var (code, record) = issue()
        for _ in 0..<VerificationCode.maxFailedAttempts {
            #expect(record.check(wrong(code), now: t0, secret: secret) == .mismatch)
        }
        #expect(record.attempts == 5)
        #expect(record.check(wrong(code), now: t0, secret: secret) == .tooManyAttempts)
        // Even the right code no longer works, and checking no longer counts.
        #expect(record.check(code, now: t0, secret: secret) == .tooManyAttempts)
        #expect(record.attempts == 5)
        // A new code starts afresh.
        var (fresh, next) = issue(replacing: record)
        #expect(next.attempts == 0)
        #expect(next.check(fresh, now: t0, secret: secret) == .ok)
    }

    @Test func anExpiredCodeIsExpiredEvenAfterTooManyAttempts() {
        var (code, record) = issue()
        for _ in 0..<5 { _ = record.check(wrong(code), now: t0, secret: secret) }
        #expect(record.check(code, now: record.expiresAt, secret: secret) == .expired)
    }

    @Test func aSupersededCodeIsExpiredAndOnlyTheLatestWorks() {
        let (first, a) = issue()
        var (second, b) = issue(at: t0 + 10, replacing: a)
        if first == second { return }  // one chance in a million
        var stale = b
        #expect(stale.check(first, now: t0 + 20, secret: secret) == .expired)
        #expect(stale.attempts == 1)
        #expect(b.check(second, now: t0 + 20, secret: secret) == .ok)
        // The replacement has its own lifetime.
        #expect(b.expiresAt == t0 + 10 + 24 * 3600)
    }

    @Test func onlyTheLastFewSupersededCodesAreRemembered() {
        var codes: [String] = []
        var record: VerificationCode? = nil
        for i in 0..<7 {
            let (code, next) = issue(at: t0 + Double(i), replacing: record)
            codes.append(code)
            record = next
        }
        guard let latest = record else { return }
        #expect(latest.superseded.count == VerificationCode.supersededKept)
        // Codes 2...5 are remembered (expired); code 0 is forgotten (a plain mismatch); code 6 works.
        if !codes[6...].contains(codes[5]) {
            var probe = latest
            #expect(probe.check(codes[5], now: t0 + 10, secret: secret) == .expired)
        }
        if !codes[1...].contains(codes[0]) {
            var probe = latest
            #expect(probe.check(codes[0], now: t0 + 10, secret: secret) == .mismatch)
        }
        var current = latest
        #expect(current.check(codes[6], now: t0 + 10, secret: secret) == .ok)
    }

    @Test func aCodeFromAnotherPurposeDoesNotCarryOver() {
        let (_, signUp) = issue(.signUp)
        let (_, reset) = issue(.forgotPassword, replacing: signUp)
        #expect(reset.superseded.isEmpty)
    }

    @Test func aCodeIsBoundToTheDeploymentSecret() {
        var (code, record) = issue()
        #expect(record.check(code, now: t0, secret: SystemRandom().bytes(32)) == .mismatch)
    }

    // MARK: In a user's codes

    @Test func usedCodesAndCodesNeverIssuedAreExpired() throws {
        var codes: [String: JSON] = [:]
        #expect(VerificationCode.check("123456", for: .signUp, in: &codes, now: t0, secret: secret) == .expired)
        let code = try VerificationCode.issue(
            .signUp, in: &codes, now: t0, random: SystemRandom(), secret: secret, request: .limited)
        #expect(codes[CodePurpose.signUp.key] != nil)
        #expect(VerificationCode.check(code, for: .forgotPassword, in: &codes, now: t0, secret: secret) == .expired)
        #expect(VerificationCode.check(code, for: .signUp, in: &codes, now: t0, secret: secret) == .ok)
        #expect(codes[CodePurpose.signUp.key] == nil)
        #expect(VerificationCode.check(code, for: .signUp, in: &codes, now: t0, secret: secret) == .expired)
    }

    @Test func attemptsArePersistedInTheUsersCodes() throws {
        var codes: [String: JSON] = [:]
        let code = try VerificationCode.issue(
            .forgotPassword, in: &codes, now: t0, random: SystemRandom(), secret: secret, request: .limited)
        for _ in 0..<5 {
            #expect(
                VerificationCode.check(wrong(code), for: .forgotPassword, in: &codes, now: t0, secret: secret)
                    == .mismatch)
        }
        // Reloaded from JSON, as the next request would.
        var again = try codes.mapValues { try JSON.parse($0.serializedString()) }
        #expect(
            VerificationCode.check(code, for: .forgotPassword, in: &again, now: t0, secret: secret) == .tooManyAttempts)
    }

    @Test func issuingAgainSupersedesThroughTheUsersCodes() throws {
        var codes: [String: JSON] = [:]
        let first = try VerificationCode.issue(
            .attribute("email"), in: &codes, now: t0, random: SystemRandom(), secret: secret, request: .limited)
        let second = try VerificationCode.issue(
            .attribute("email"), in: &codes, now: t0, random: SystemRandom(), secret: secret, request: .limited)
        guard first != second else { return }
        var copy = codes
        #expect(VerificationCode.check(first, for: .attribute("email"), in: &copy, now: t0, secret: secret) == .expired)
        #expect(VerificationCode.check(second, for: .attribute("email"), in: &codes, now: t0, secret: secret) == .ok)
    }

    /// Asking for a new code after every five wrong ones does not allow guessing without end: requests and wrong
    /// codes together are limited per hour, across the codes that supersede each other.
    @Test func requestsAndWrongCodesAreLimitedPerHour() throws {
        var codes: [String: JSON] = [:]
        func request(at now: Date) throws(AWSError) -> String {
            try VerificationCode.issue(
                .forgotPassword, in: &codes, now: now, random: SystemRandom(), secret: secret, request: .limited)
        }
        func check(_ code: String, at now: Date) -> VerificationCode.Outcome {
            VerificationCode.check(code, for: .forgotPassword, in: &codes, now: now, secret: secret)
        }
        // Three rounds of a request and five wrong codes: 18 of the hour's 20.
        var code = ""
        for round in 0..<3 {
            code = try request(at: t0 + Double(10 * round))
            for _ in 0..<VerificationCode.maxFailedAttempts {
                #expect(check(wrong(code), at: t0 + Double(10 * round + 1)) == .mismatch)
            }
        }
        code = try request(at: t0 + 30)  // 19
        #expect(check(wrong(code), at: t0 + 31) == .mismatch)  // 20
        // The hour is spent: even the right code is refused, and so is a new one.
        #expect(check(code, at: t0 + 32) == .tooManyAttempts)
        #expect(throws: AWSError(.limitExceeded, "Attempt limit exceeded, please try after some time.")) {
            try request(at: t0 + 33)
        }
        // A change that sends a code is never refused for it, but counts: the new code cannot be entered either.
        var counted = codes
        let sent = try VerificationCode.issue(
            .forgotPassword, in: &counted, now: t0 + 34, random: SystemRandom(), secret: secret, request: .counted)
        #expect(VerificationCode.check(sent, for: .forgotPassword, in: &counted, now: t0 + 35, secret: secret)
            == .tooManyAttempts)
        // An administrator's code neither counts nor is refused; it is entered once the hour has passed.
        var exempt = codes
        let reset = try VerificationCode.issue(
            .forgotPassword, in: &exempt, now: t0 + 34, random: SystemRandom(), secret: secret, request: .exempt)
        #expect(VerificationCode.check(reset, for: .forgotPassword, in: &exempt, now: t0 + 35, secret: secret)
            == .tooManyAttempts)
        #expect(VerificationCode.check(reset, for: .forgotPassword, in: &exempt, now: t0 + 3630, secret: secret)
            == .ok)

        // An hour after the first request it has left the window, and one more is allowed.
        code = try request(at: t0 + 3600)
        #expect(throws: AWSError(.limitExceeded, "Attempt limit exceeded, please try after some time.")) {
            try request(at: t0 + 3600)
        }
        // Once the wrong codes of the first round have left it too, the latest code works.
        #expect(check(code, at: t0 + 3600) == .tooManyAttempts)
        #expect(check(code, at: t0 + 3602) == .ok)
        #expect(codes[CodePurpose.forgotPassword.key] == nil)
    }

    @Test func theHourIsPerPurposeAndSurvivesStorage() throws {
        var codes: [String: JSON] = [:]
        for _ in 0..<VerificationCode.hourlyLimit {
            _ = try VerificationCode.issue(
                .signUp, in: &codes, now: t0, random: SystemRandom(), secret: secret, request: .limited)
        }
        var reloaded = try codes.mapValues { try JSON.parse($0.serializedString()) }
        #expect(reloaded[CodePurpose.signUp.key]?["Recent"]?.arrayValue?.count == VerificationCode.hourlyLimit)
        #expect(throws: AWSError.self) {
            try VerificationCode.issue(
                .signUp, in: &reloaded, now: t0 + 1, random: SystemRandom(), secret: secret, request: .limited)
        }
        _ = try VerificationCode.issue(
            .attribute("email"), in: &reloaded, now: t0 + 1, random: SystemRandom(), secret: secret, request: .limited)
    }

    // MARK: Errors and storage

    @Test func outcomesMapToAWSErrors() {
        #expect(VerificationCode.Outcome.ok.error == nil)
        #expect(
            VerificationCode.Outcome.mismatch.error
                == AWSError(.codeMismatch, "Invalid verification code provided, please try again."))
        #expect(
            VerificationCode.Outcome.expired.error
                == AWSError(.expiredCode, "Invalid code provided, please request a code again."))
        #expect(
            VerificationCode.Outcome.tooManyAttempts.error
                == AWSError(.limitExceeded, "Attempt limit exceeded, please try after some time."))
        #expect(throws: AWSError(.codeMismatch, "Invalid verification code provided, please try again.")) {
            try VerificationCode.Outcome.mismatch.get()
        }
    }

    @Test func jsonRoundTripsAndNeverHoldsTheCode() throws {
        let (first, a) = issue(.attribute("phone_number"))
        var (code, record) = issue(.attribute("phone_number"), at: t0 + 0.5, replacing: a)
        _ = record.check(wrong(code), now: t0 + 1, secret: secret)
        let json = record.toJSON()
        let text = json.serializedString()
        #expect(!text.contains(code))
        #expect(!text.contains(first))
        let back = try VerificationCode(json: try JSON.parse(text))
        #expect(back == record)
        #expect(back.attempts == 1)
        #expect(back.issuedAt == t0 + 0.5)
        #expect(json["Purpose"] == .string("Attribute:phone_number"))
    }

    @Test func malformedRecordsAreInternalErrors() {
        #expect(throws: AWSError.internalError) { try VerificationCode(json: .object(["Purpose": "SignUp"])) }
        #expect(throws: AWSError.internalError) { try VerificationCode(json: .string("x")) }
    }
}
