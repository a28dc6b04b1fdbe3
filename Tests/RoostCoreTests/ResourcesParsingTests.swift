import RoostCore
import Testing

extension ResourcesTests {
    /// The Mesos text form: what it accepts, what it prints, and the errors it gives.
    struct Parsing {
        /// The error for `text`, or `nil` (recorded as an issue) when it parses.
        private func parseError(_ text: String) -> InputError? {
            do {
                let parsed = try Resources(parsing: text)
                Issue.record("'\(text)' parsed as '\(parsed)'")
                return nil
            } catch {
                return error
            }
        }

        @Test func parsesTheMesosExample() throws {
            let parsed = try Resources(parsing: "cpus:2;mem:1024;ports:[31000-32000];disks(role):10;zones:{a,b}")
            #expect(parsed.scalar(named: "cpus") == 2)
            #expect(parsed.scalar(named: "mem") == 1024)
            #expect(parsed.ranges(named: "ports") == ValueRanges([31000...32000]))
            #expect(parsed.reserved(for: "role") == "disks(role):10")
            #expect(parsed.set(named: "zones") == ["a", "b"])
            #expect(parsed.description == "cpus:2;disks(role):10;mem:1024;ports:[31000-32000];zones:{a,b}")
            #expect(try Resources(parsing: parsed.description) == parsed)
        }

        @Test func toleratesWhitespaceEmptyEntriesAndATrailingSeparator() throws {
            let expected: Resources = "cpus:2;mem:1024;ports:[1-2,5-5];zones:{a,b}"
            for text in [
                " cpus : 2 ; mem:1024 ; ports: [ 1 - 2 , 5 ] ; zones:{ a , b } ;",
                "cpus:2;;mem:1024;ports:[1-2,5];zones:{b,a};",
                "cpus(*):1;cpus( * ):1;mem:1000;mem:24;ports:[1-1];ports:[2-2];ports:[5-5];zones:{a};zones:{b}",
                "\tcpus:2; mem:1024; ports:[5,1-2]; zones:{a,b}\n",
            ] {
                #expect(try Resources(parsing: text) == expected, "\(text)")
            }
        }

        @Test func emptyForms() throws {
            #expect(try Resources(parsing: "").isEmpty)
            #expect(try Resources(parsing: " ; ").isEmpty)
            #expect(try Resources(parsing: "{}").isEmpty)
            #expect(Resources.empty.description == "{}")
            #expect(try Resources(parsing: "cpus:0;ports:[]").isEmpty)
        }

        @Test func scalarSpellings() throws {
            #expect(try Resources(parsing: "cpus:.5") == "cpus:0.5")
            #expect(try Resources(parsing: "cpus:5.") == "cpus:5")
            #expect(try Resources(parsing: "cpus:0.1;cpus:0.2") == "cpus:0.3")
            #expect(try Resources(parsing: "cpus:1.0005").description == "cpus:1.001")
            #expect(try Resources(parsing: "mem:1024.000").description == "mem:1024")
        }

        @Test func printsInADeterministicOrder() throws {
            let resources: Resources =
                "zones(web):{c,a,b};cpus(web,dynamic,principal=ops,labels={z=1,a=2}):1;cpus(web):1;cpus:1;cpus(web,dynamic):1;cpus(api):1"
            #expect(
                resources.description
                    == "cpus:1;cpus(api):1;cpus(web):1;cpus(web,dynamic):1;cpus(web,dynamic,principal=ops,labels={a=2,z=1}):1;zones(web):{a,b,c}"
            )
            #expect(try Resources(parsing: resources.description) == resources)
        }

        @Test func escapesStructuralCharactersSoEveryValueRoundTrips() throws {
            let odd = try Resources([
                Resource(name: "zones", value: .set(["a,b", " lead", "trail ", "x\\y", "{}", "semi;colon", "é", "a b"])),
                Resource(
                    name: "cpus", value: .scalar(1), role: Role("r(1):2,{x};=y"),
                    reservation: Reservation(principal: " p=q ", labels: ["k,1": "v}", "": "", "e": "="])),
            ])
            let text = odd.description
            #expect(text.contains("\\,"))
            let reparsed = try Resources(parsing: text)
            #expect(reparsed == odd)
            #expect(reparsed.description == text)
            #expect(try Resources(parsing: "zones:{a\\,b}").set(named: "zones") == ["a,b"])
            // Unescaped text in a role is accepted when it is unambiguous.
            #expect(try Resources(parsing: "cpus(a:b):1").entries.first?.role == Role("a:b"))
        }

        @Test func reservationSyntax() throws {
            let full = try Resources(parsing: "cpus( web , dynamic , principal = ops , labels = { team = x , tier = 1 } ):1")
            let entry = try #require(full.entries.first)
            #expect(entry.role == "web")
            #expect(entry.reservation == Reservation(principal: "ops", labels: ["team": "x", "tier": "1"]))
            #expect(full.description == "cpus(web,dynamic,principal=ops,labels={team=x,tier=1}):1")
            // Any reservation attribute makes the resource dynamically reserved.
            #expect(try Resources(parsing: "cpus(web,principal=ops):1") == "cpus(web,dynamic,principal=ops):1")
            #expect(try Resources(parsing: "cpus(web,labels={}):1") == "cpus(web,dynamic):1")
            #expect(try Resources(parsing: "cpus(web,dynamic,principal=):1").entries.first?.reservation == Reservation(principal: ""))
        }

        @Test(arguments: [
            ("mem:abc", ["'mem:abc'", "'abc' is not a number"]),
            ("cpus:-1", ["'cpus:-1'", "amounts must not be negative"]),
            ("ports:[5-3]", ["'ports:[5-3]'", "range start 5 is after its end 3"]),
            ("cpus(bad role):1", ["'cpus(bad role):1'", "role: 'bad role'"]),
            ("cpus():1", ["'cpus():1'", "role: must not be empty"]),
            ("cpus:nan", ["'cpus:nan'", "'nan' is not a number"]),
            ("cpus:inf", ["'cpus:inf'", "'inf' is not a number"]),
            ("cpus:1e3", ["'cpus:1e3'", "'1e3' is not a number"]),
            ("cpus:2;cpus:[1-2]", ["'cpus:[1-2]'", "cpus is both a scalar and ranges", "'cpus:2'"]),
            ("zones:{a};mem:1;zones(web):3", ["'zones(web):3'", "zones is both a set and a scalar"]),
            ("cpus", ["'cpus'", "expected 'name:value' or 'name(role):value'"]),
            ("cpu s:1", ["'cpu s:1'", "resource name: 'cpu s'"]),
            (":1", ["':1'", "resource name: must not be empty"]),
            ("cpus(web:1", ["'cpus(web:1'", "missing ')'"]),
            ("cpus(web)1", ["'cpus(web)1'", "expected ':'"]),
            ("mem:1;cpus: ", ["'cpus:'", "missing a value after ':'"]),
            ("ports:[1-2", ["'ports:[1-2'", "no closing ']'"]),
            ("ports:[a-b]", ["'ports:[a-b]'", "'a' in 'a-b' is not a non-negative integer"]),
            ("ports:[1-2-3]", ["'ports:[1-2-3]'", "'1-2-3' is not a range"]),
            ("ports:[1-99999999999999999999]", ["'ports:[1-99999999999999999999]'", "larger than"]),
            ("zones:{a,,b}", ["'zones:{a,,b}'", "empty item"]),
            ("zones:{a", ["'zones:{a'", "no closing '}'"]),
            ("cpus:99999999999999999", ["'cpus:99999999999999999'", "too large"]),
            ("cpus(*,dynamic):1", ["'cpus(*,dynamic):1'", "reservation", "named role"]),
            ("cpus(web,foo):1", ["'cpus(web,foo):1'", "'foo' is not a reservation attribute"]),
            ("cpus(web,labels={a}):1", ["'cpus(web,labels={a}):1'", "label 'a' has no '='"]),
            ("cpus(web,labels=a):1", ["'cpus(web,labels=a):1'", "labels 'a' must be written"]),
            ("cpus(web,labels={a=1,a=2}):1", ["label 'a' appears twice"]),
            ("cpus(web,principal=a,principal=b):1", ["'principal' appears twice"]),
        ])
        func errorsQuoteTheBadToken(_ text: String, _ fragments: [String]) throws {
            let error = try #require(parseError(text))
            #expect(error.field == "resources")
            for fragment in fragments {
                #expect(error.message.contains(fragment), "\(error)")
            }
            #expect(error.description.hasPrefix("resources: '"))
        }

        @Test func theMessageReadsWell() throws {
            let error = try #require(parseError("cpus:1;mem:abc"))
            #expect(error.description == "resources: 'mem:abc': 'abc' is not a number; write a plain decimal such as 2 or 0.5")
        }
    }
}
