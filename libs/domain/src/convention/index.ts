export * from './period';
export * from './convention.commands';
export * from './convention.events';
export * from './convention.state';
export * from './convention.lifecycle';
export * from './convention.decider';
