// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "cognito-fcgi",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cognito-fcgi", targets: ["CognitoFCGI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CFastCGI",
            pkgConfig: "fcgi",
            providers: [.apt(["libfcgi-dev"])]
        ),
        .systemLibrary(
            name: "CArgon2",
            pkgConfig: "libargon2",
            providers: [.apt(["libargon2-dev"])]
        ),
        // libc declarations the Glibc module lacks (getrandom, epoll, eventfd); no library of its own.
        .systemLibrary(name: "CSystem"),
        .target(
            name: "Handlers",
            dependencies: [
                "CArgon2",
                "CSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "CognitoFCGI",
            dependencies: [
                "CFastCGI",
                "CSystem",
                "Handlers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        .executableTarget(
            name: "StoreTorture",
            dependencies: ["Handlers"],
            path: "Sources/StoreTorture"
        ),
        .testTarget(
            name: "HandlersTests",
            dependencies: ["Handlers", "StoreTorture"],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
