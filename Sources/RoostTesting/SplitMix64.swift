/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny random number generator whose sequence
/// depends only on the seed, on every platform and Swift version, so a seed names one test
/// scenario forever. Use it for property-style and randomized tests that must reproduce.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Creates a generator; the same seed gives the same sequence.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `range`; the tiny modulo bias does not matter here, and unlike
    /// `Int.random(in:using:)` the algorithm cannot change under us.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// True with probability `percent`/100.
    public mutating func chance(_ percent: Int) -> Bool { int(in: 0...99) < percent }

    /// One element of a non-empty array.
    public mutating func element<T>(of array: [T]) -> T { array[int(in: 0...array.count - 1)] }

    /// Each element kept with probability one half, order preserved.
    public mutating func subset<T>(of array: [T]) -> [T] { array.filter { _ in chance(50) } }
}
