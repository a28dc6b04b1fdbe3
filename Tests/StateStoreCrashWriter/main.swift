// StateStoreCrashWriter <directory> <key>
//
// The child process of FileStateStoreCrashTests: puts self-checking values at <key> in a
// FileStateStore on <directory> in a tight loop, and after each put returns prints the
// committed version on its own line on stdout (unbuffered), until it is killed.
//
// Value number n (n = 1, 2, ...) is `payloadSize` bytes of little-endian UInt64 words:
// word 0 is n, word w is `payloadWord(counter: n, index: w)` (the test carries a copy of
// this rule). Since the directory starts empty, value n is stored at version n.
//
// Safety nets so a crashed test never leaves it running: when the test's end of the pipe
// closes, the next print raises SIGPIPE (default action: exit); and it stops by itself
// after `lifetimeLimit`.

import RoostCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

let payloadSize = 256 * 1024
let lifetimeLimit: Duration = .seconds(120)

func payloadWord(counter: UInt64, index: Int) -> UInt64 {
    (counter &* 0x9E37_79B9_7F4A_7C15) ^ (UInt64(index) &* 0xBF58_476D_1CE4_E5B9)
}

func payload(counter: UInt64) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: payloadSize)
    bytes.withUnsafeMutableBytes { buffer in
        buffer.storeBytes(of: counter.littleEndian, as: UInt64.self)
        for index in 1..<(payloadSize / 8) {
            buffer.storeBytes(
                of: payloadWord(counter: counter, index: index).littleEndian, toByteOffset: index * 8, as: UInt64.self)
        }
    }
    return bytes
}

/// Writes `line` and a newline to `fd` unbuffered; false when the write fails.
@discardableResult
func writeLine(_ line: String, to fd: Int32) -> Bool {
    let bytes = Array((line + "\n").utf8)
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { buffer in
            write(fd, buffer.baseAddress! + offset, buffer.count - offset)
        }
        if written < 0 {
            if errno == EINTR { continue }
            return false
        }
        offset += written
    }
    return true
}

func fail(_ message: String) -> Never {
    writeLine("StateStoreCrashWriter: \(message)", to: STDERR_FILENO)
    exit(1)
}

func printLine(_ line: String) {
    if !writeLine(line, to: STDOUT_FILENO) {
        fail("cannot write to stdout (errno \(errno)); the test has gone away")
    }
}

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    fail("usage: StateStoreCrashWriter <directory> <key>")
}

let store: FileStateStore
let key: StateKey
do {
    key = try StateKey(arguments[2])
    store = try FileStateStore(configuration: .init(directory: arguments[1]))
} catch {
    fail("\(error)")
}

let clock = ContinuousClock()
let deadline = clock.now.advanced(by: lifetimeLimit)
var counter: UInt64 = 0
while clock.now < deadline {
    counter += 1
    do {
        let version = try await store.put(key, payload(counter: counter))
        printLine(String(version.value))
    } catch {
        fail("put \(key) number \(counter) failed: \(error)")
    }
}
fail("still running after \(lifetimeLimit); nobody killed it, so it stops by itself")
