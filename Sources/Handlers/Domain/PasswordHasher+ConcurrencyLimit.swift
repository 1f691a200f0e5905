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
        /// How long hashing must stay idle before the kept Argon2 blocks are unmapped (`Argon2Memory`): between
        /// two sign-ups a process often has nothing to hash for a moment, and a block unmapped then costs the
        /// next hash a fresh 20 MiB mapping (the kernel zeroes it: ~1 ms).
        let releaseDelay: DispatchTimeInterval
        private let condition = NSCondition()
        private var running = 0
        private var queued = 0
        private var peak = 0
        /// Computations admitted so far: a release scheduled at idle goes ahead only if none came since.
        private var admissions: UInt64 = 0
        /// Tests only: runs in each admitted call before it computes, outside the limit's own lock.
        private let admitted: (@Sendable (ConcurrencyLimit) -> Void)?
        /// What going idle releases: `Argon2Memory.releaseSpares` (tests count the calls).
        private let release: @Sendable () -> Void

        /// `slots` below 1 (e.g. `sysconf` failing with -1) means 1.
        public convenience init(slots: Int) {
            self.init(slots: slots, admitted: nil)
        }

        init(
            slots: Int, releaseDelay: DispatchTimeInterval = .milliseconds(250),
            release: @escaping @Sendable () -> Void = Argon2Memory.releaseSpares,
            admitted: (@Sendable (ConcurrencyLimit) -> Void)?
        ) {
            self.slots = max(1, slots)
            self.releaseDelay = releaseDelay
            self.release = release
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
            admissions &+= 1
            peak = max(peak, running)
            condition.unlock()
            defer {
                condition.lock()
                running -= 1
                let idle = running == 0 && queued == 0
                let seen = admissions
                // Exactly one slot came free, so one waiter is enough.
                condition.signal()
                condition.unlock()
                if idle { releaseSparesIfStillIdle(since: seen) }
            }
            admitted?(self)
            return body()
        }

        /// Nobody here needs Argon2 memory now: unless hashing starts again within `releaseDelay`, give the kept
        /// blocks back (see `Argon2Memory`), so an idle worker holds none.
        private func releaseSparesIfStillIdle(since seen: UInt64) {
            DispatchQueue.global().asyncAfter(deadline: .now() + releaseDelay) { [self] in
                let stillIdle = condition.withLock { running == 0 && queued == 0 && admissions == seen }
                if stillIdle { release() }
            }
        }
    }
}
