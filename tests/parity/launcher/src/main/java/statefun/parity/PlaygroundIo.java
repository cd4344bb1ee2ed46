// Whether binding the playground kinds opens their HTTP ports: yes when a job
// runs, no when ModuleCheck only loads a module.yaml.
package statefun.parity;

final class PlaygroundIo {
  static volatile boolean serve = true;

  private PlaygroundIo() {}
}
