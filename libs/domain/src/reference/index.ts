export * from './commune.commands';
export * from './commune.events';
export * from './commune.state';
export * from './commune.decider';
export * from './legacy-continuity';
export * from './legacy-transition';
export * from './syntec.events';
export * from './syntec.decider';
