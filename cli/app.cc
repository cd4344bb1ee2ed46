#include "cli/app.h"

int statefun::cli::run(int, char**) { return 0; }
