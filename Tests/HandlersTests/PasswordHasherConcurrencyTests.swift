import Foundation
import Testing

@testable import Handlers

/// Holds each admitted computation until every caller is either computing or queued for a slot, then records what
/// the limit saw at that moment. No timing decides the outcome: the hold ends when the state is reached, so without
/// a working limit every caller is found computing at once.
private final class Rendezvous: @unchecked Sendable {
    private let lock = NSLock()
    private let callers: Int
    private var finished = 0
    private var seen: (running: Int, queued: Int)?

    init(callers: Int) { self.callers = callers }

    /// What the limit held when everyone had arrived; nil if that never happened.
    var snapshot: (running: Int, queued: Int)? { lock.withLock { seen } }

    /// The limit's test hook. Before everyone has arrived no caller can finish (each admitted one waits here), so
    /// running + queued reaches the number of callers exactly when all are in. The deadline only keeps a broken
    /// limit from hanging the suite; it fails the test through a nil snapshot.
    func hold(_ limit: PasswordHasher.ConcurrencyLimit) {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let arrived = lock.withLock { () -> Bool in
                if seen != nil { return true }
                let state = limit.state
                guard state.running + state.queued + finished == callers else { return false }
                seen = (state.running, state.queued)
                return true
            }
            if arrived { return }
            usleep(500)
        }
    }

    func finish() { lock.withLock { finished += 1 } }
}

/// Runs `body(i)` for `count` values of `i` on as many threads at once and returns when all have finished.
private func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for i in 0..<count {
        group.enter()
        Thread {
            body(i)
            group.leave()
        }.start()
    }
    group.wait()
}

private final class HashOutcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int: Bool] = [:]
    func set(_ i: Int, _ ok: Bool) { lock.withLock { values[i] = ok } }
    var all: [Int: Bool] { lock.withLock { values } }
}

struct PasswordHasherConcurrencyTests {
    enum Operation: CaseIterable, Sendable { case hash, verify }

    static let cheap = PasswordHasher.Configuration(
        memoryKiB: 64, iterations: 1, parallelism: 1, allowWeakParameters: true)

    @Test(arguments: [1, 2, 3], Operation.allCases)
    func atMostTheLimitComputeAtOnceAndTheRestWait(slots: Int, operation: Operation) throws {
        let callers = slots + 3
        let rendezvous = Rendezvous(callers: callers)
        let limit = PasswordHasher.ConcurrencyLimit(slots: slots) { rendezvous.hold($0) }
        let hasher = try PasswordHasher(Self.cheap, limit: limit)
        // Made outside the limit under test, so that only the calls below pass through it.
        let stored = try PasswordHasher(Self.cheap, limit: .init(slots: 1)).hash("Shared-Pass1", random: SystemRandom())
        let results = HashOutcomes()

        onThreads(callers) { i in
            switch operation {
            case .hash:
                let phc = try? hasher.hash("Pass-\(i)", random: SystemRandom())
                results.set(i, phc.map { hasher.verify("Pass-\(i)", against: $0) } ?? false)
            case .verify:
                results.set(i, hasher.verify("Shared-Pass1", against: stored))
            }
            rendezvous.finish()
        }

        let snapshot = try #require(rendezvous.snapshot, "the callers never all reached the limit")
        #expect(snapshot.running == slots)
        #expect(snapshot.queued == callers - slots)
        let state = limit.state
        #expect(state.peak == slots)
        #expect(state.running == 0 && state.queued == 0)
        // Every call still did its work once admitted.
        #expect(results.all == Dictionary(uniqueKeysWithValues: (0..<callers).map { ($0, true) }))
    }

    @Test func theDefaultIsOneSlotPerOnlineCPUSharedByTheWholeProcess() throws {
        let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #expect(PasswordHasher.ConcurrencyLimit.perProcess.slots == max(1, online))
        #expect(PasswordHasher.standard.limit === PasswordHasher.ConcurrencyLimit.perProcess)
        #expect(try PasswordHasher(Self.cheap).limit === PasswordHasher.ConcurrencyLimit.perProcess)
    }

    @Test func fewerThanOneSlotMeansOne() {
        #expect(PasswordHasher.ConcurrencyLimit(slots: 0).slots == 1)
        #expect(PasswordHasher.ConcurrencyLimit(slots: -1).slots == 1)
    }

    @Test func keptMemoryGoesOnlyOnceHashingHasStayedIdle() throws {
        let releases = LockedCount()
        let limit = PasswordHasher.ConcurrencyLimit(
            slots: 1, releaseDelay: .milliseconds(150), release: { releases.add() }, admitted: nil)
        /// Waits (up to 20 s: the timer runs on a shared queue a loaded machine can delay) for `count` releases.
        func waitFor(_ count: Int) -> Bool {
            for _ in 0..<2_000 where releases.value < count { usleep(10_000) }
            return releases.value == count
        }
        limit.withSlot {}
        // Idle, but not for long yet: a timer never fires early, so the blocks are still there for the next caller.
        usleep(30_000)
        limit.withSlot {}
        #expect(releases.value == 0)
        // The first idle moment's release is void (hashing came back within it); the second one's goes ahead, once.
        #expect(waitFor(1))
        usleep(400_000)
        #expect(releases.value == 1)
        // Nothing is released while a computation runs, however long it takes.
        limit.withSlot { _ = usleep(300_000) }
        #expect(releases.value == 1)
        #expect(waitFor(2))
    }
}
