// swift-tools-version: 6.1
// A separate package so that `swift build` / `swift test` of the library and CI never build the benchmarks.
import PackageDescription

let package = Package(
    name: "SlipsBenchmarks",
    dependencies: [.package(name: "Slips", path: "..")],
    targets: [
        .executableTarget(
            name: "SlipsBenchmarks",
            dependencies: [.product(name: "Slips", package: "Slips")]
        )
    ],
    swiftLanguageModes: [.v6]
)
