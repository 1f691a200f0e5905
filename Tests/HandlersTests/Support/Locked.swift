import Foundation

/// A value shared by test threads.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T { lock.withLock { stored } }
    func mutate(_ change: (inout T) -> Void) { lock.withLock { change(&stored) } }
}

/// A counter shared by test threads.
final class LockedCount: @unchecked Sendable {
    private let box = LockedBox(0)
    func add() { box.mutate { $0 += 1 } }
    var value: Int { box.value }
}
