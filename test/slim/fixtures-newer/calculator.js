// Exports a Calculator too: imported after test/slim/fixtures, it must win.
export class Calculator {
  whoAmI() {
    return 'the newer import';
  }
}
