"""JUnit reports as the tools write them, and hostile ones, for the parser's and the
API's tests (the API tests' scripts write these into the workspace)."""

from __future__ import annotations


def write_files(files: dict[str, str]) -> str:
    """A job's script writing ``files`` (quoted heredocs: written byte for byte)."""
    lines = ["mkdir -p reports"]
    for name, text in files.items():
        lines.append(f"cat > {name} <<'ISHCD_SAMPLE'\n{text.rstrip(chr(10))}\nISHCD_SAMPLE")
    return "\n".join(lines) + "\n"


# pytest --junitxml (pytest 8: a <testsuites> root, one suite, file on the cases
# only with junit_family=xunit1; a teardown error is a second testcase).
PYTEST = """<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="pytest" errors="1" failures="1" skipped="1"
 tests="5" time="0.512" timestamp="2026-12-03T16:00:00" hostname="ci">
<testcase classname="tests.test_math" name="test_add" file="tests/test_math.py" line="3"
 time="0.001" />
<testcase classname="tests.test_math" name="test_div" file="tests/test_math.py" line="7"
 time="0.250"><failure message="ZeroDivisionError: division by zero">def test_div():
&gt;       1 / 0
E       ZeroDivisionError: division by zero</failure><system-out>printed</system-out></testcase>
<testcase classname="tests.test_math" name="test_later" file="tests/test_math.py" line="11"
 time="0.000"><skipped type="pytest.skip" message="not yet">tests/test_math.py:11: not yet</skipped>
</testcase>
<testcase classname="tests.test_db" name="test_connect" file="tests/test_db.py" line="1"
 time="0.100"><error message="failed on setup with &quot;OSError&quot;">OSError</error></testcase>
<testcase classname="tests.test_db" name="test_query" file="tests/test_db.py" line="9"
 time="0.161" />
</testsuite></testsuites>
"""

# jest-junit: suites per file, the file on the suite (addFileAttribute), failures
# with their stack as text and no message attribute.
JEST = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="3" failures="1" errors="0" time="1.2">
  <testsuite name="sum" errors="0" failures="1" skipped="0" timestamp="2026-12-03T16:00:00"
   time="0.8" tests="2" file="src/sum.test.js">
    <testcase classname="sum adds" name="sum adds 1 + 2 to equal 3" time="0.004">
    </testcase>
    <testcase classname="sum adds" name="sum adds negatives" time="0.01">
      <failure>Error: expect(received).toBe(expected) // Object.is equality

Expected: -3
Received: 3
    at Object.&lt;anonymous&gt; (src/sum.test.js:9:23)</failure>
    </testcase>
  </testsuite>
  <testsuite name="ui" errors="0" failures="0" skipped="1" time="0.4" tests="1"
   file="src/ui.test.js">
    <testcase classname="ui renders" name="ui renders a button" time="0">
      <skipped/>
    </testcase>
  </testsuite>
</testsuites>
"""

# go-junit-report: a suite per package, properties, the package as classname.
GO = """<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="3" failures="1">
\t<testsuite name="example.com/app/store" tests="3" failures="1" errors="0" id="0"
\t hostname="ci" time="0.031" timestamp="2026-12-03T16:00:00Z">
\t\t<properties><property name="go.version" value="go1.23.0"></property></properties>
\t\t<testcase name="TestPut" classname="example.com/app/store" time="0.010"></testcase>
\t\t<testcase name="TestGet" classname="example.com/app/store" time="0.020">
\t\t\t<failure message="Failed" type="">store_test.go:21: got 1, want 2</failure>
\t\t</testcase>
\t\t<testcase name="TestGet/missing" classname="example.com/app/store" time="0.001">
\t\t\t<skipped message="store_test.go:30: not on this OS"></skipped>
\t\t</testcase>
\t\t<system-out><![CDATA[ok]]></system-out>
\t</testsuite>
</testsuites>
"""

# Maven Surefire: a <testsuite> root with a namespace, properties, times with a
# thousands separator, an error, and a flaky rerun.
SUREFIRE = """<?xml version="1.0" encoding="UTF-8"?>
<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 xsi:noNamespaceSchemaLocation="https://maven.apache.org/surefire/maven-surefire-plugin/xsd/surefire-test-report.xsd"
 version="3.0" name="com.example.AppTest" time="1,234.5" tests="3" errors="1" skipped="0"
 failures="0">
  <properties><property name="java.version" value="21"/></properties>
  <testcase name="testApp" classname="com.example.AppTest" time="1,200.25"/>
  <testcase name="testNull" classname="com.example.AppTest" time="0.01">
    <error message="boom" type="java.lang.NullPointerException">java.lang.NullPointerException: boom
\tat com.example.AppTest.testNull(AppTest.java:20)</error>
    <system-out><![CDATA[a lot of output]]></system-out>
  </testcase>
  <testcase name="testRetry" classname="com.example.AppTest" time="0.02">
    <flakyFailure message="first try" type="java.lang.AssertionError"/>
  </testcase>
</testsuite>
"""

# Hostile or broken files.
BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<testsuite name="lol"><testcase name="laugh" classname="lol"><failure>&lol9;</failure>
</testcase></testsuite>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE testsuite [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<testsuite name="xxe"><testcase name="leak" classname="xxe"><failure>&secret;</failure>
</testcase></testsuite>
"""

MALFORMED = """<?xml version="1.0"?>
<testsuite name="cut"><testcase name="half" classname="cut"><failure>oops
"""

NOT_JUNIT = """<?xml version="1.0"?>
<html><body>not a report</body></html>
"""

# A pipeline whose test job fails (test_fetch) until the file {flag} exists.
FLAKY_PIPELINE = """\
version: 1
jobs:
  test:
    steps:
      - run: |
          mkdir -p reports
          if [ -e {flag} ]; then result=''; code=0
          else result='<failure message="timed out">slow network</failure>'; code=1; fi
          {{ echo "<testsuite><testcase classname='api' name='test_fetch' time='0.5'>$result"
            echo "</testcase><testcase classname='api' name='test_parse' time='0.1'/></testsuite>"
          }} > reports/junit.xml
          exit $code
    test_reports: [reports/*.xml]
workflows:
  main: {{jobs: [test]}}
"""
