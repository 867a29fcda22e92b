// A fixture in a Java-style package folder, for fully qualified class names.
export class Qualified {
  whoAmI() {
    return 'acme.tables.Qualified';
  }
}
