import Testing

@testable import Handlers

struct BoundedMapTests {
    @Test func keepsAtMostItsCapacityAndTheNewestEntry() {
        let map = BoundedMap<String, Int>(capacity: 2)
        map.set(1, for: "a")
        map.set(2, for: "b")
        map.set(20, for: "b")  // a key already kept is replaced, nothing dropped
        #expect(map.count == 2 && map["a"] == 1 && map["b"] == 20)
        map.set(3, for: "c")
        #expect(map.count == 2)
        #expect(map["c"] == 3)
        #expect([map["a"], map["b"]].compactMap { $0 }.count == 1)
        map.remove("c")
        #expect(map["c"] == nil && map.count == 1)
    }

    @Test func capacityZeroKeepsNothing() {
        let map = BoundedMap<String, Int>(capacity: 0)
        map.set(1, for: "a")
        #expect(map.count == 0 && map["a"] == nil)
    }

    @Test func countsTheLookupsThatFoundTheirKey() {
        let map = BoundedMap<String, Int>(capacity: 4)
        map.set(1, for: "a")
        _ = map["a"]
        _ = map["b"]
        _ = map["a"]
        #expect(map.hits == 2)
    }
}
