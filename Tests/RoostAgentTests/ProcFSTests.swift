@testable import RoostAgent
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Parsing `/proc/<pid>/stat`, whose second field is a free-form command name.
struct ProcFSTests {
    @Test func parsesFieldsAfterACommandNameWithSpacesAndParentheses() throws {
        let line = "4242 (we(ird) n) ame) S 1 4242 4242 0 -1 4194560 120 0 0 0 1 2 0 0 20 0 1 0 987654321 1000 100 18446744073709551615\n"
        let stat = try #require(ProcFS.parseStat(Array(line.utf8)))
        #expect(stat.pid == 4242)
        #expect(stat.state == UInt8(ascii: "S"))
        #expect(stat.parentPID == 1)
        #expect(stat.processGroupID == 4242)
        #expect(stat.sessionID == 4242)
        #expect(stat.startTime == 987_654_321)
        #expect(!stat.hasExited)
    }

    @Test func rejectsTruncatedLines() {
        #expect(ProcFS.parseStat(Array("12 (sh) Z 1 12".utf8)) == nil)
        #expect(ProcFS.parseStat(Array("garbage".utf8)) == nil)
    }

    @Test func readsThisProcess() throws {
        let stat = try #require(ProcFS.stat(of: getpid()))
        #expect(stat.pid == getpid())
        #expect(stat.processGroupID == getpgrp())
        #expect(ProcFS.bootID()?.count == 36)
    }
}
