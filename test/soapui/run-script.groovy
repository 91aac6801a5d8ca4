// Runs one Groovy script of the SoapUI project outside SoapUI, with the variables SoapUI binds:
// "testCase" (test case setup script), "testSuite" (test suite setup script) or "request"
// (ReadyAPI RequestFilter.filterRequest event). The project is a stand-in with SoapUI's
// getPropertyValue/setPropertyValue. Prints the project properties afterwards as name=value lines.
//
// Usage: groovy run-script.groovy SCRIPT_FILE testCase|testSuite|request USER_ID ENCRYPTION_KEY

class StandInProject {
    Map<String, String> props = [:]
    String getPropertyValue(String name) { props[name] }
    void setPropertyValue(String name, String value) { props[name] = value }
}

if (args.length != 4) {
    System.err.println('usage: run-script.groovy SCRIPT_FILE testCase|testSuite|request USER_ID ENCRYPTION_KEY')
    System.exit(2)
}
def project = new StandInProject(props: [userId: args[2], encryptionKey: args[3]])
def vars = [log: [info: { m -> System.err.println(m) }], context: [:]]
switch (args[1]) {
    case 'testCase': vars.testCase = [testSuite: [project: project]]; break
    case 'testSuite': vars.testSuite = [project: project]; break
    case 'request': vars.request = [operation: ['interface': [project: project]]]; break
    default: System.err.println("unknown binding ${args[1]}"); System.exit(2)
}
new GroovyShell(new Binding(vars)).evaluate(new File(args[0]))
project.props.each { k, v -> println "${k}=${v}" }
