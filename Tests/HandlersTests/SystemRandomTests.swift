import Foundation
import Testing

@testable import Handlers

struct SystemRandomTests {
    @Test func givesExactlyTheBytesAskedFor() {
        let random = SystemRandom()
        for count in [0, 1, 7, 8, 9, 16, 33, 4096, 70_000] {
            #expect(random.bytes(count).count == count)
        }
    }

    @Test func bytesAreNotRepeatedOrBlank() {
        let random = SystemRandom()
        let draws = (0..<64).map { _ in random.bytes(16) }
        #expect(Set(draws).count == draws.count)
        // Every byte value turns up in 64 KiB of output (missing one has probability ~e^-256).
        #expect(Set(random.bytes(65_536)).count == 256)
    }

    @Test func uuidsAreVersion4AndDistinct() {
        let random = SystemRandom()
        let ids = (0..<256).map { _ in random.uuid() }
        #expect(Set(ids).count == ids.count)
        for id in ids {
            let parts = id.split(separator: "-")
            #expect(parts.map(\.count) == [8, 4, 4, 4, 12])
            #expect(parts[2].first == "4")
            #expect("89ab".contains(parts[3].first!))
            #expect(id.allSatisfy { "0123456789abcdef-".contains($0) })
        }
    }

    /// Small draws come from the pool, across its refills (4 KiB), from many threads at once: never a byte handed out
    /// twice, never a blank draw, every byte value turning up.
    @Test func pooledDrawsAreNeverRepeated() {
        let pool = RandomPool()
        let draws = LockedBox<[[UInt8]]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            var mine: [[UInt8]] = []
            for size in Array(repeating: [16, 1, 64, 33], count: 200).joined() {
                var out = [UInt8](repeating: 0, count: size)
                out.withUnsafeMutableBytes { pool.draw(into: $0) }
                mine.append(out)
            }
            draws.mutate { $0.append(contentsOf: mine) }
        }
        let wide = draws.value.filter { $0.count >= 16 }
        #expect(draws.value.count == 3200)
        #expect(Set(wide).count == wide.count)
        #expect(!wide.contains { $0.allSatisfy { $0 == 0 } })
        #expect(Set(draws.value.joined()).count == 256)
    }
}
