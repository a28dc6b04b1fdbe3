import FoundationEssentials

extension ServiceSpec {
    /// The version of what an instance runs: a digest of every field except `instances`.
    ///
    /// Two specs with the same version run the same instances, so changing only `instances`
    /// scales the service, and changing anything else (command, resources, checks, ports,
    /// constraints…) rolls out a new version (Marathon's "config change" as against "scale").
    /// 16 hexadecimal digits (FNV-1a, 64 bits, over the spec's JSON with sorted keys).
    public var version: String {
        var unscaled = self
        unscaled.instances = 0
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding a spec cannot fail: every field is a string, number, list or map.
        let bytes = (try? encoder.encode(unscaled)) ?? Data(String(describing: unscaled).utf8)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
