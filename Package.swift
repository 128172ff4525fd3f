// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Slips",
    products: [
        .library(name: "Slips", targets: ["Slips"]),
        .executable(name: "slips", targets: ["SlipsCLI"]),
        // The C interface of include/slips.h (the Python package loads it).
        .library(name: "SlipsC", type: .dynamic, targets: ["SlipsC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
    ],
    targets: [
        // Dense kernels compiled for several x86-64 instruction sets and chosen at run time (internal to Slips).
        .target(name: "SlipsKernels"),
        .target(
            name: "Slips",
            dependencies: ["SlipsKernels", .product(name: "RealModule", package: "swift-numerics")]
        ),
        .executableTarget(
            name: "SlipsCLI",
            dependencies: [
                "Slips",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "SlipsC", dependencies: ["Slips"]),
        .testTarget(name: "SlipsTests", dependencies: ["Slips", "SlipsKernels"]),
    ],
    swiftLanguageModes: [.v6]
)
