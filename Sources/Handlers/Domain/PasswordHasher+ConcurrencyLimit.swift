import CArgon2
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension PasswordHasher {
    /// At most `slots` Argon2 computations at once; callers beyond that block until one finishes.
    ///
    /// Argon2 is memory-hard: each call walks its ~19 MiB over and over, so calls beyond one per core do not finish
    /// sooner, they evict each other from the caches (16 at once on 2 cores cost ~20 ms of CPU each instead of
    /// 16.8) and each holds its 19 MiB while it waits for a core. Queuing them costs no throughput and bounds the
    /// memory in use to `slots` blocks. The process shares one limit (`perProcess`) because the cores are the
    /// process's, not a hasher's: the front end and `Services.init` each make their own `PasswordHasher`.
    ///
    /// Each worker process takes one slot per core, not its share of them: with `--processes 2` on two cores, one
    /// slot per process made InitiateAuth at 32 connections ~20 % slower in `make bench` (62-63 vs 75-83 req/s,
    /// alternating runs), the other operations equal within the noise.
    ///
    /// The wait takes no other lock, and hashing is never done under a store lock (see `PasswordHasher`), so a
    /// queued request holds nothing another request needs.
    public final class ConcurrencyLimit: @unchecked Sendable {
        /// One slot per online CPU, at least one.
        public static let perProcess = ConcurrencyLimit(slots: Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

        public let slots: Int
        private let condition = NSCondition()
        private var running = 0
        private var queued = 0
        private var peak = 0
        /// Tests only: runs in each admitted call before it computes, outside the limit's own lock.
        private let admitted: (@Sendable (ConcurrencyLimit) -> Void)?

        /// `slots` below 1 (e.g. `sysconf` failing with -1) means 1.
        public convenience init(slots: Int) {
            self.init(slots: slots, admitted: nil)
        }

        init(slots: Int, admitted: (@Sendable (ConcurrencyLimit) -> Void)?) {
            self.slots = max(1, slots)
            self.admitted = admitted
        }

        /// Computations running now, callers waiting for a slot, and the most that ever ran at once.
        var state: (running: Int, queued: Int, peak: Int) {
            condition.withLock { (running, queued, peak) }
        }

        /// Runs `body` once a slot is free, and frees it afterwards.
        func withSlot<T>(_ body: () -> T) -> T {
            condition.lock()
            queued += 1
            // A loop, not an `if`: a wake-up may be spurious, or a newcomer may have taken the slot first.
            while running >= slots { condition.wait() }
            queued -= 1
            running += 1
            peak = max(peak, running)
            condition.unlock()
            defer {
                condition.lock()
                running -= 1
                let idle = running == 0 && queued == 0
                // Exactly one slot came free, so one waiter is enough.
                condition.signal()
                condition.unlock()
                // Nobody here needs Argon2 memory any more: give the kept blocks back (see `Argon2Memory`).
                if idle { Argon2Memory.releaseSpares() }
            }
            admitted?(self)
            return body()
        }
    }
}
