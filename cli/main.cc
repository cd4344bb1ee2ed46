#include "cli/app.h"

int main(int argc, char** argv) { return statefun::cli::run(argc, argv); }
