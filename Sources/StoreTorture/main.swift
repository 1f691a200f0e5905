// A helper for the store's multi-process test (Tests/HandlersTests/StoreTests.swift): runs `count`
// read-modify-write transactions against one pool, each adding a record and bumping a shared counter.
// Usage: store-torture <data> <poolId> <writerId> <count>
import Handlers

#if canImport(Glibc)
import Glibc
#endif

let args = CommandLine.arguments
guard args.count == 5, let count = Int(args[4]) else {
    print("usage: store-torture <data> <poolId> <writerId> <count>")
    exit(2)
}
let store = try Store(root: args[1])
for i in 0..<count {
    try store.withPool(args[2], .exclusive) { tx in
        let current = try tx.read(nil, "counter")?["n"].flatMap { if case .int(let n) = $0 { n } else { nil } } ?? 0
        try tx.write("records", "\(args[3])-\(i)", .object(["writer": .string(args[3]), "i": .int(i)]))
        try tx.write(nil, "counter", .object(["n": .int(current + 1)]))
    }
}
