import Foundation
import Testing

@testable import Handlers

#if canImport(Glibc)
import Glibc
#endif

/// The signed-in user's own changes that write their record alone run under the user's lock (`TokenCheck.changeUser`):
/// the pool's `LOCK_SH` plus the user's stripe, so they complete while another transaction holds the pool's `LOCK_SH`,
/// which a `LOCK_EX` change would wait for.
struct UserLockTests {
    /// Runs `calls` on another thread while this one holds the pool's `LOCK_SH`; returns each answer's `__type` ("ok"
    /// for a success), or nil when they did not finish within 20 s (they waited for the pool's lock).
    static func besideAReader(_ s: SelfService, _ calls: @escaping (Harness) -> [(status: Int, body: JSON)])
        -> [String]?
    {
        let reader = open(s.h.store.poolDirectory(s.f.poolId) + "/lock", O_RDONLY)
        defer { close(reader) }
        #expect(flock(reader, LOCK_SH) == 0)
        let done = DispatchSemaphore(value: 0)
        let outcomes = LockedBox<[String]>([])
        // The harness is used from this one other thread only while the test thread merely waits.
        nonisolated(unsafe) let h = s.h
        nonisolated(unsafe) let run = calls
        Thread {
            let answers = run(h)
            outcomes.mutate { $0 = answers.map { $0.body["__type"]?.stringValue ?? "ok" } }
            done.signal()
        }.start()
        let finished = done.wait(timeout: .now() + 20) == .success
        flock(reader, LOCK_UN)
        if !finished { done.wait() }
        return finished ? outcomes.value : nil
    }

    @Test func codesAreAskedForAndCheckedBesideReaders() throws {
        let s = try SelfService()
        try s.f.update { $0.attributes["email_verified"] = "false" }
        let ask = s.input(["AttributeName": "email"])
        let outcomes = Self.besideAReader(s) { h in
            let asked = h.call("GetUserAttributeVerificationCode", ask)
            let code = h.outbox().last?.code ?? "-"
            let wrong = h.call("VerifyUserAttribute", s.input([
                "AttributeName": "email", "Code": .string(VerifyUserAttributeTests.wrong(code))]))
            let right = h.call("VerifyUserAttribute", s.input(["AttributeName": "email", "Code": .string(code)]))
            return [asked, wrong, right]
        }
        #expect(outcomes == ["ok", "CodeMismatchException", "ok"])
        #expect(try s.alice().emailVerified)
    }

    @Test func passwordChangesAndSignOutsRunBesideReaders() throws {
        let s = try SelfService()
        let outcomes = Self.besideAReader(s) { h in
            [h.call("ChangePassword", s.input(["ProposedPassword": "N3w-Passw0rd!"])),
             h.call("GlobalSignOut", s.input())]
        }
        #expect(outcomes == ["ok", "ok"])
        let alice = try s.alice()
        #expect(alice.passwordHash != nil && alice.signedOutAt != nil)
    }
}
