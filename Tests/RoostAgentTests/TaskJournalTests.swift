import Foundation
import Logging
@testable import RoostAgent
import RoostCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The agent's append-only journal of task records: replay, torn ends, damage, compaction.
struct TaskJournalTests {
    let logger = Logger(label: "test.task-journal")

    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
    }

    @Test func theLastWriteOfEachKeyWinsAcrossReopening() async throws {
        try await withTemporaryDirectory { directory in
            var (journal, values) = try TaskJournal.open(directory: directory, logger: logger)
            #expect(values.isEmpty)
            try journal.append([("tasks/f/a", bytes("1")), ("tasks/f/b", bytes("2"))])
            try journal.append([("tasks/f/a", bytes("3")), ("tasks/f/b", nil), ("tasks/f/c", nil)])
            journal.close()
            let (reopened, replayed) = try TaskJournal.open(directory: directory, logger: logger)
            reopened.close()
            #expect(replayed == ["tasks/f/a": bytes("3")])
        }
    }

    @Test func aDeleteOfAKeyNeverWrittenWritesNothing() async throws {
        try await withTemporaryDirectory { directory in
            var (journal, _) = try TaskJournal.open(directory: directory, logger: logger)
            try journal.append([("tasks/f/a", nil)])
            journal.close()
            #expect(fileSize(directory + "/" + TaskJournal.fileName) == 0)
        }
    }

    @Test func aTornLastRecordIsDroppedAndCutOff() async throws {
        try await withTemporaryDirectory { directory in
            var (journal, _) = try TaskJournal.open(directory: directory, logger: logger)
            try journal.append([("tasks/f/a", bytes("old"))])
            journal.close()
            let path = directory + "/" + TaskJournal.fileName
            let whole = fileSize(path)
            // The process died in the middle of appending the next record.
            let record = TaskJournal.encode(.put, key: "tasks/f/a", value: bytes("new"))
            let handle = try #require(FileHandle(forWritingAtPath: path))
            handle.seekToEndOfFile()
            handle.write(Data(record.prefix(record.count - 2)))
            handle.closeFile()
            var (reopened, values) = try TaskJournal.open(directory: directory, logger: logger)
            #expect(values == ["tasks/f/a": bytes("old")])
            #expect(fileSize(path) == whole)
            #expect(!FileManager.default.fileExists(atPath: directory + "/" + TaskJournal.corruptedName))
            // Appending goes on after the last whole record.
            try reopened.append([("tasks/f/b", bytes("b"))])
            reopened.close()
            let (_, again) = try TaskJournal.open(directory: directory, logger: logger)
            #expect(again == ["tasks/f/a": bytes("old"), "tasks/f/b": bytes("b")])
        }
    }

    @Test func aDamagedRecordKeepsWhatCameBeforeAndACopyOfTheFile() async throws {
        try await withTemporaryDirectory { directory in
            var (journal, _) = try TaskJournal.open(directory: directory, logger: logger)
            try journal.append([("tasks/f/a", bytes("1"))])
            try journal.append([("tasks/f/b", bytes("2"))])
            try journal.append([("tasks/f/c", bytes("3"))])
            journal.close()
            let path = directory + "/" + TaskJournal.fileName
            var contents = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            let first = TaskJournal.encode(.put, key: "tasks/f/a", value: bytes("1")).count
            contents[first + 14] ^= 0xff  // inside the second record's payload
            try Data(contents).write(to: URL(fileURLWithPath: path))
            let (reopened, values) = try TaskJournal.open(directory: directory, logger: logger)
            reopened.close()
            #expect(values == ["tasks/f/a": bytes("1")])
            #expect(fileSize(directory + "/" + TaskJournal.corruptedName) == contents.count)
        }
    }

    @Test func compactionKeepsOnlyLiveRecords() async throws {
        try await withTemporaryDirectory { directory in
            var (journal, _) = try TaskJournal.open(directory: directory, logger: logger)
            let value = [UInt8](repeating: UInt8(ascii: "x"), count: 1000)
            for index in 0..<1000 {
                try journal.append([("tasks/f/t\(index)", value)])
                if index % 10 != 0 { try journal.append([("tasks/f/t\(index)", nil)]) }
            }
            journal.close()
            let path = directory + "/" + TaskJournal.fileName
            #expect(fileSize(path) < 2 * TaskJournal.compactionThreshold)
            #expect(!FileManager.default.fileExists(atPath: directory + "/" + TaskJournal.compactedName))
            let (_, values) = try TaskJournal.open(directory: directory, logger: logger)
            #expect(values.count == 100)
            #expect(values["tasks/f/t990"] == value)
            #expect(values["tasks/f/t991"] == nil)
        }
    }
}
