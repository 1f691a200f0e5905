import Foundation
import Testing

@testable import Handlers

/// What the password-history tests of every operation that sets a password share (ChangePasswordTests,
/// ConfirmForgotPasswordTests, AdminSetUserPasswordTests, RespondToAuthChallengeTests,
/// AdminRespondToAuthChallengeTests).
enum Histories {
    /// Earlier passwords, newest first; each satisfies AWS's default policy.
    static let older = ["0lder-passw0rd-1!", "0lder-passw0rd-2!", "0lder-passw0rd-3!", "0lder-passw0rd-4!"]

    /// CreateUserPool members for a pool that remembers `size` passwords (none given: no PasswordHistorySize).
    static func pool(_ size: Int?) -> [String: JSON] {
        var policy: [String: JSON] = ["MinimumLength": 8]
        if let size { policy["PasswordHistorySize"] = .int(size) }
        return ["Policies": ["PasswordPolicy": .object(policy)]]
    }

    /// UpdateUserPool's input giving pool `poolId` a history of `size`.
    static func resize(_ poolId: String, _ size: Int?) -> JSON {
        .object(pool(size).merging(["UserPoolId": .string(poolId)]) { _, new in new })
    }

    /// `passwords` hashed as the store keeps them, for `UserRecord.previousPasswordHashes`.
    static func hashes(_ h: Harness, _ passwords: [String] = older) throws -> [String] {
        try passwords.map { try h.services.passwords.hash($0, random: h.services.random) }
    }

    /// The one refusal, worded for a history of `size`.
    static func violation(_ size: Int) -> String {
        "The password you entered was used recently. Choose a password you have not used in your last \(size) "
            + (size == 1 ? "password." : "passwords.")
    }

    /// The services of `h` with a random source that runs `hook` before the next salt is drawn (`HookedRandom`).
    static func hooked(_ h: Harness) -> (Services, SignInTests.HookedRandom) {
        let random = SignInTests.HookedRandom()
        let s = h.services
        return (
            Services(
                config: s.config, store: s.store, clock: s.clock, random: random, logger: s.logger, sender: s.sender,
                passwords: s.passwords, keys: s.keys),
            random
        )
    }

    /// Which of `passwords` the stored hashes — the current one, then the earlier ones — verify, in order.
    static func remembered(_ h: Harness, _ user: UserRecord, among passwords: [String]) -> [String] {
        ([user.passwordHash].compactMap { $0 } + user.previousPasswordHashes).compactMap { hash in
            passwords.first { h.services.passwords.verify($0, against: hash) }
        }
    }
}

/// `PasswordHistory` and the record's `previousPasswordHashes`; each operation's use of them is tested in its own file.
struct PasswordHistoryTests {
    /// Cheap parameters, as the harness uses.
    static let hasher = PasswordHasher(validated: .init(memoryKiB: 64, iterations: 1, allowWeakParameters: true))

    static func user(_ hash: String? = "$current") -> UserRecord {
        var user = UserRecord(
            username: "alice", sub: "sub", attributes: [:], status: .confirmed, now: Date(timeIntervalSince1970: 0))
        user.passwordHash = hash
        return user
    }

    @Test func theCurrentPasswordIsTheFirstOfTheHistory() {
        var user = Self.user()
        user.previousPasswordHashes = ["$1", "$2", "$3"]
        #expect(PasswordHistory(of: user, policy: PasswordPolicy(passwordHistorySize: 1)).hashes == ["$current"])
        #expect(PasswordHistory(of: user, policy: PasswordPolicy(passwordHistorySize: 3)).hashes
                == ["$current", "$1", "$2"])
        #expect(PasswordHistory(of: user, policy: PasswordPolicy(passwordHistorySize: 24)).hashes.count == 4)
        #expect(PasswordHistory(of: user, policy: PasswordPolicy(passwordHistorySize: 0)).hashes == [])
        #expect(PasswordHistory(of: user, policy: PasswordPolicy(nil)).hashes == [])
        // A user without a password has only the earlier ones.
        user.passwordHash = nil
        #expect(PasswordHistory(of: user, policy: PasswordPolicy(passwordHistorySize: 2)).hashes == ["$1", "$2"])
    }

    @Test func settingAPasswordKeepsTheLastNAndFollowsTheSizeDown() {
        var user = Self.user("$0")
        for i in 1...5 { user.setPassword("$\(i)", historySize: 3) }
        #expect(user.passwordHash == "$5" && user.previousPasswordHashes == ["$4", "$3"])
        user.setPassword("$6", historySize: 24)
        #expect(user.previousPasswordHashes == ["$5", "$4", "$3"])
        // The pool now remembers fewer: the next password trims the list.
        user.setPassword("$7", historySize: 2)
        #expect(user.passwordHash == "$7" && user.previousPasswordHashes == ["$6"])
        user.setPassword("$8", historySize: 1)
        #expect(user.previousPasswordHashes == [])
        user.setPassword("$9", historySize: 3)
        user.setPassword("$10", historySize: 0)
        #expect(user.passwordHash == "$10" && user.previousPasswordHashes == [])
    }

    @Test func neverMoreThanTwentyFourPasswordsAreKept() throws {
        var user = Self.user("$0")
        for i in 1...40 { user.setPassword("$\(i)", historySize: 24) }
        #expect(user.previousPasswordHashes.count == 23 && user.previousPasswordHashes.first == "$39")
        #expect(PasswordHistory(of: user, policy: PasswordPolicy(passwordHistorySize: 24)).hashes.count == 24)
        // Even a size out of range, or a record that lists more (edited by hand), keeps no more.
        user.setPassword("$41", historySize: 1000)
        #expect(user.previousPasswordHashes.count == 23)
        var json = try #require(user.toJSON().objectValue)
        json["PreviousPasswordHashes"] = .array((0..<40).map { .string("$old\($0)") })
        #expect(try UserRecord(json: .object(json)).previousPasswordHashes.count == 23)
    }

    @Test func theHistoryIsStoredWithTheRecord() throws {
        var user = Self.user("$0")
        user.setPassword("$1", historySize: 3)
        user.setPassword("$2", historySize: 3)
        let json = user.toJSON()
        #expect(json["PreviousPasswordHashes"] == ["$1", "$0"])
        #expect(try UserRecord(json: json) == user)
        // No history, no member.
        #expect(Self.user().toJSON()["PreviousPasswordHashes"] == nil)
    }

    @Test func aRecordWrittenBeforeHistoryWasKeptLoads() throws {
        let hash = try Self.hasher.hash("Passw0rd!", random: SystemRandom())
        let old: JSON = [
            "Username": "alice", "Sub": "4f0c", "Status": "CONFIRMED", "Enabled": true, "Created": 1_790_000_000,
            "Modified": 1_790_000_000, "FailedSignIns": 0, "Attributes": ["sub": "4f0c"], "PasswordHash": .string(hash),
        ]
        let user = try UserRecord(json: old)
        #expect(user.previousPasswordHashes == [])
        // Only the current password is known.
        let history = PasswordHistory(of: user, policy: PasswordPolicy(passwordHistorySize: 5))
        #expect(history.hashes == [hash])
        #expect(throws: PasswordHistory.violation(size: 5)) { try history.check("Passw0rd!", with: Self.hasher) }
        try history.check("Other-passw0rd!", with: Self.hasher)
        #expect(user.toJSON() == old)
    }

    @Test func checkRefusesAnyRememberedPasswordInOneWording() throws {
        var user = Self.user(try Self.hasher.hash("Current-1!", random: SystemRandom()))
        user.previousPasswordHashes = try ["Older-2!", "Older-3!"].map {
            try Self.hasher.hash($0, random: SystemRandom())
        }
        let history = PasswordHistory(of: user, policy: PasswordPolicy(passwordHistorySize: 2))
        for reused in ["Current-1!", "Older-2!"] {
            #expect(throws: PasswordHistory.violation(size: 2)) { try history.check(reused, with: Self.hasher) }
        }
        try history.check("Older-3!", with: Self.hasher)
        try history.check("current-1!", with: Self.hasher)
        let error = PasswordHistory.violation(size: 2)
        #expect(error.code.rawValue == "PasswordHistoryPolicyViolationException" && error.httpStatus == 400)
        #expect(error.message == Histories.violation(2))
    }

    @Test func aCheckedHistoryCoversTheSameOrLess() {
        var user = Self.user("$0")
        user.previousPasswordHashes = ["$1", "$2"]
        let checked = PasswordHistory(of: user, policy: PasswordPolicy(passwordHistorySize: 2))
        #expect(checked.covers(checked))
        #expect(checked.covers(PasswordHistory(of: user, policy: PasswordPolicy(passwordHistorySize: 1))))
        #expect(checked.covers(PasswordHistory(of: user, policy: PasswordPolicy(passwordHistorySize: 0))))
        // A larger size, or another password set meanwhile, asks for a hash that was not checked.
        #expect(!checked.covers(PasswordHistory(of: user, policy: PasswordPolicy(passwordHistorySize: 3))))
        var changed = user
        changed.setPassword("$new", historySize: 2)
        #expect(!checked.covers(PasswordHistory(of: changed, policy: PasswordPolicy(passwordHistorySize: 2))))
        // A rehash of the current password (sign-in) replaces its hash: checked again too.
        changed = user
        changed.passwordHash = "$0-rehashed"
        #expect(!checked.covers(PasswordHistory(of: changed, policy: PasswordPolicy(passwordHistorySize: 2))))
    }
}
